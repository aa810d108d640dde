from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.synth import SynthManifest, generate

ENTERPRISES = 200
RECORDS = 1000
PERSONS = 100


@pytest.fixture(scope="session")
def synth_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthManifest]:
    out = tmp_path_factory.mktemp("synth")
    manifest = generate(out, enterprises=ENTERPRISES, records=RECORDS, persons=PERSONS)
    return out, manifest
