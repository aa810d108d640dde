"""Authorizations (授权) of third parties to read a subject's file, and the query log (查询登记)."""
