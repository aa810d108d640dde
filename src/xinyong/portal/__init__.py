"""Server-rendered pages (Jinja2). Routes call services only; a page never queries a table."""
