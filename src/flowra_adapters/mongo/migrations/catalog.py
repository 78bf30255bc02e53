"""Every migration, in the order they apply. New ones are appended; applied ones never change."""

from __future__ import annotations

from flowra_adapters.mongo.migrations import (
    m0001_collections,
    m0002_flowra_bot,
    m0003_read_models,
    m0004_dispatched_markers,
    m0005_reaction_work,
    m0006_thread_stats_on_messages,
    m0007_list_indexes,
    m0008_governance,
)
from flowra_adapters.mongo.migrations.model import Migration

MIGRATIONS: tuple[Migration, ...] = (
    m0001_collections.MIGRATION,
    m0002_flowra_bot.MIGRATION,
    m0003_read_models.MIGRATION,
    m0004_dispatched_markers.MIGRATION,
    m0005_reaction_work.MIGRATION,
    m0006_thread_stats_on_messages.MIGRATION,
    m0007_list_indexes.MIGRATION,
    m0008_governance.MIGRATION,
)
