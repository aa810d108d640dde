"""Red, black, key-supervision and abnormal lists (名单): derived from records by YAML rules,
or entered by an admin with a basis."""
