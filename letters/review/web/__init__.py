"""``letters review``: the reviewers' web app (Starlette on uvicorn, Jinja2 pages, no build step).

``app`` holds the routes and pages; ``serve`` the server around them.
"""

from letters.review.web.app import PAGE_DPI, Settings, create_app
from letters.review.web.serve import serve

__all__ = ["PAGE_DPI", "Settings", "create_app", "serve"]
