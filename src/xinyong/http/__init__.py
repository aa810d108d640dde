"""Request plumbing shared by every router: dependencies and RFC 9457 problem responses."""
