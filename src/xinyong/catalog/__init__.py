"""Information catalog (公共信用信息目录): record types, fields, polarity, severity, publicity."""
