"""Users: provisioning, profiles and the sync with the identity provider."""
