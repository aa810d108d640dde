"""The HTTP application: routers, error handlers, dependencies."""
