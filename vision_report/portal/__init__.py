"""提出ポータル (issue 19, docs CONTRACT §7): members submit in the browser and see their result at once.

- ``settings``: the ``portal:`` section of config/vision-report.yaml (host, port, database, limits).
- ``store``: accounts and sessions in the project's database (SQLAlchemy; SQLite by default, PostgreSQL when
  configured), scrypt password hashes, login throttling.
- ``uploads``: an uploaded file checked (size, type, zip bomb), placed in inputs/<FY>/ under a name the portal
  chooses, then taken through the same intake and screening as a dropped file (``watch.check_file``).
- ``app``: the Starlette application (routes, permissions in one place, Japanese error pages).
- ``commands``: ``vision-report accounts …`` and ``vision-report portal``.

Every word a user reads is in templates/portal/ (messages.yaml and the *.html pages).
"""
