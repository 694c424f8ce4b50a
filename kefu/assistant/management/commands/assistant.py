"""``kefu assistant train|eval|classify``: the assistant's intent model from the command line.

``train`` rebuilds kefu/assistant/model/intents.npz from kefu/assistant/data/train/*.jsonl
(deterministic). ``eval`` measures the shipped model on the labelled test set and exits 1 when a
target is missed. ``classify`` reads one message per line on stdin and writes one JSON object
per line: ``{"intent", "confidence", "language"}`` (docs/subsystems/assistant.md).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kefu.assistant.evaluate import evaluate, render
from kefu.assistant.model import MODEL_PATH, ModelMissing, load_model, read_meta, save_model
from kefu.assistant.training import (
    DataError,
    cross_validate,
    data_hash,
    held_out_files,
    read_examples,
    train_files,
    train_shipped,
)

# The targets, per language and for out-of-scope messages.
TARGET_ACCURACY = 0.85
TARGET_OTHER_RECALL = 0.85


class Command(BaseCommand):
    help = "Train, evaluate or run the assistant's intent classifier."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="rebuild the model from the shipped training data")
        train.add_argument("--out", default=str(MODEL_PATH), help="where to write the artifact")
        train.add_argument(
            "--check",
            action="store_true",
            help="only check that the shipped artifact matches the training data; exit 1 if not",
        )
        train.add_argument(
            "--cv",
            action="store_true",
            help="only report five-fold cross-validation on the training data (writes nothing)",
        )
        ev = sub.add_parser(
            "eval", help="accuracy per language, per-intent precision/recall, confusion matrix"
        )
        ev.add_argument(
            "--data",
            nargs="+",
            help="labelled JSON-lines files (default: kefu/assistant/data/test/*.jsonl)",
        )
        ev.add_argument("--model", default=str(MODEL_PATH), help="artifact to evaluate")
        ev.add_argument("--json", action="store_true", help="print the report as JSON")
        ev.add_argument(
            "--show-errors", action="store_true", help="also list every misclassified message"
        )
        sub.add_parser(
            "classify",
            help="read one message per line on stdin; write {intent, confidence, language} "
            "JSON per line",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "train":
            self._train(options)
        elif action == "eval":
            self._eval(options)
        else:
            self._classify(options.get("stdin") or sys.stdin)

    def _train(self, options: dict[str, Any]) -> None:
        paths = train_files()
        if not paths:
            raise CommandError("no training data in kefu/assistant/data/train/")
        if options["cv"]:
            try:
                scores = cross_validate(read_examples(paths))
            except DataError as exc:
                raise CommandError(str(exc)) from exc
            for name, value in scores.items():
                self.stdout.write(f"{name}: {value:.2%}")
            return
        if options["check"]:
            try:
                shipped = read_meta(Path(options["out"])).get("data_sha256")
            except ModelMissing as exc:
                raise CommandError(str(exc)) from exc
            if shipped != data_hash(paths):
                self.stderr.write("The model is stale: run `kefu assistant train`.")
                raise SystemExit(1)
            self.stdout.write("The model matches the training data.")
            return
        try:
            result = train_shipped()
        except DataError as exc:
            raise CommandError(str(exc)) from exc
        out = Path(options["out"])
        save_model(result.model, out)
        held = result.held_out_accuracy
        self.stdout.write(
            f"Trained on {result.examples} messages from {len(paths)} files, "
            f"{result.model.meta['features']} features, in {result.seconds:.1f} s; "
            f"held-out accuracy {held:.2%}, temperature {result.model.temperature}; "
            f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)."
        )

    def _eval(self, options: dict[str, Any]) -> None:
        try:
            started = time.perf_counter()
            model = load_model(Path(options["model"]))
            loaded = time.perf_counter() - started
            paths = [Path(p) for p in options["data"]] if options["data"] else held_out_files()
            examples = read_examples(paths)
        except (ModelMissing, DataError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if not examples:
            raise CommandError("no labelled examples to evaluate")
        report = evaluate(model, examples, training=read_examples(train_files()))
        failures = [
            f"{lang} accuracy {m['accuracy']:.2%} < {TARGET_ACCURACY:.0%}"
            for lang, m in report.by_language.items()
            if lang in ("en", "zh") and m["accuracy"] < TARGET_ACCURACY
        ]
        if report.intents["other"]["support"] and report.other_recall < TARGET_OTHER_RECALL:
            failures.append(f"other recall {report.other_recall:.2%} < {TARGET_OTHER_RECALL:.0%}")
        if options["json"]:
            data = report.as_dict()
            data["ok"] = not failures
            data["failures"] = failures
            data["load_seconds"] = round(loaded, 4)
            if options["show_errors"]:
                data["errors"] = report.errors
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"model loaded in {loaded * 1000:.0f} ms")
            for line in render(report):
                self.stdout.write(line)
            if options["show_errors"]:
                for error in report.errors:
                    self.stdout.write(json.dumps(error, ensure_ascii=False))
            self.stdout.write(
                "targets: " + ("all met" if not failures else "MISSED: " + "; ".join(failures))
            )
        if failures:
            raise SystemExit(1)

    def _classify(self, stdin: IO[Any]) -> None:
        try:
            model = load_model()
        except ModelMissing as exc:
            raise CommandError(str(exc)) from exc
        source: IO[Any] = getattr(stdin, "buffer", stdin)
        bad_lines = 0
        for number, raw in enumerate(source, 1):
            if isinstance(raw, bytes):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad_lines += 1
                    self.stderr.write(f"line {number}: not valid UTF-8 ({exc.reason})")
                    self.stdout.write(
                        json.dumps({"error": "invalid_utf8", "line": number}, ensure_ascii=False)
                    )
                    continue
            else:
                line = str(raw)
            text = line.rstrip("\r\n").removeprefix("\ufeff")
            self.stdout.write(json.dumps(model.predict(text).as_dict(), ensure_ascii=False))
            self.stdout.flush()
        if bad_lines:
            raise CommandError(f"{bad_lines} line(s) were not valid UTF-8 and were skipped")
