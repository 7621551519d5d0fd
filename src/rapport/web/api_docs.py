"""``/docs``: Swagger UI over ``/openapi.json``, served from the package (no CDN).

The scripts and stylesheet are vendored under ``static/vendor`` (``tools/vendor_assets.sh``,
with their licences) and started by ``static/api_docs.js``, so the page works offline and
under the same Content-Security-Policy as every other page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from rapport.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    return render(request, "api_docs.html", {"openapi_url": request.app.openapi_url})
