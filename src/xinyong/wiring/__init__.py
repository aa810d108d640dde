"""One wiring: the definitions in force loaded once per publication, every domain's setup built
from them once, handed to requests (``xinyong.http.deps.provide``) and commands
(``xinyong.console.wired``)."""
