"""`/docs`: Swagger UI served from this server only. Its JavaScript and CSS come from the
`swagger-ui-bundle-v2` package (Swagger UI's own dist files and licence), under
`/docs/assets`, so the page works without internet; it reads `/schema/openapi.json`."""

from __future__ import annotations

from litestar import get
from litestar.response import Response
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"

# `validatorUrl: null`: Swagger UI would otherwise send the document to a public validator.
_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Flowra API</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "/schema/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "BaseLayout",
      validatorUrl: null,
      deepLinking: true,
    }});
  </script>
</body>
</html>
"""


@get("/docs", include_in_schema=False, media_type="text/html", sync_to_thread=False)
def docs() -> Response[str]:
    """The interactive docs of the served document."""
    return Response(_PAGE, media_type="text/html")


def docs_routes() -> list[ControllerRouterHandler]:
    assets = create_static_files_router(
        path=ASSETS, directories=[swagger_ui_path], include_in_schema=False
    )
    return [docs, assets]
