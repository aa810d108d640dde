"""The credit file as users see it: records (``records``) with list memberships (``lists``)."""
