"""The hostile corpus: every input built from its key and --seed, in three phases (stretch,
mutate, fuzz), or read back from a reproducer file."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fields import FIELDS_BY_NAME, FILLERS, locate, stretch, stretch_specs
from .inputs import Cable, Input, load_saved
from .mutators import MUTATORS, WEIGHTS, splice_factory

MAX_PART = 512 * 1024  # characters: stacked repeats stop growing an input here

# ("stretch" | "mutate" | "fuzz", index) or ("file", path)
Key = tuple[str, Any]


@dataclass
class Corpus:
    cables: list[Cable]
    seed: int
    sizes: tuple[int, ...]
    fields: tuple[str, ...] = ()
    fillers: tuple[str, ...] = ()
    specs: list[tuple[str, str, int, str]] = field(default_factory=list)
    _with_field: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.specs = stretch_specs(self.sizes, self.fields, self.fillers)
        self.mutators = {**MUTATORS, "splice": splice_factory(self.cables)}
        self.plain = sorted(name for name in self.mutators if name != "stretch")
        names = sorted(self.mutators)
        self.fuzz_names = names
        self.fuzz_weights = [WEIGHTS.get(name, 1) for name in names]

    def count(self, phase: str, fuzz_inputs: int) -> int:
        if phase == "stretch":
            return len(self.specs)
        if phase == "mutate":
            return len(self.cables) * len(self.plain)
        return fuzz_inputs

    def cables_with(self, name: str) -> list[int]:
        if name not in self._with_field:
            fld = FIELDS_BY_NAME[name]
            self._with_field[name] = [
                i
                for i, c in enumerate(self.cables)
                if locate(fld, c.header if fld.part == "header" else c.body)
            ] or list(range(len(self.cables)))
        return self._with_field[name]

    def make(self, key: Key) -> Input:
        phase, index = key
        if phase == "file":
            return load_saved(Path(index))
        rng = random.Random(f"{self.seed}/{phase}/{index}")
        if phase == "stretch":
            name, filler, size, mode = self.specs[index]
            cable = self.cables[rng.choice(self.cables_with(name))]
            text = FILLERS[filler](rng, size)
            header, body = stretch(cable.header, cable.body, FIELDS_BY_NAME[name], text, mode)
            recipe = f"{cable.name}: stretch({name},{filler},{size},{mode})"
            return Input(header, body, cable.metadata, recipe)
        if phase == "mutate":
            cable = self.cables[index // len(self.plain)]
            names = [self.plain[index % len(self.plain)]]
        else:
            cable = rng.choice(self.cables)
            k = min(5, 1 + int(rng.expovariate(0.9)))
            names = rng.choices(self.fuzz_names, self.fuzz_weights, k=k)
        header, body, meta = cable.header, cable.body, cable.metadata
        labels = []
        for name in names:
            header, body, meta, label = self.mutators[name](header, body, meta, rng)
            header, body = header[:MAX_PART], body[:MAX_PART]
            labels.append(label)
        return Input(header, body, meta, f"{cable.name}: " + " + ".join(labels))
