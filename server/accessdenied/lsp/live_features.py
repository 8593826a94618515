"""Live AWS mode in the editor: decoded denials, drift diagnostics, CloudTrail pull, status.

Everything here is a no-op while `accessdenied.aws.liveMode` is false: no `LiveMode` call,
no boto3 import, no socket. When it is on:

- a published log/terminal denial with an encoded authorization message is decoded in the
  background (`LiveMode.decode`); the source is re-published with the decoded (exact)
  principal/action/resource, the message names the decoded request and `Diagnostic.data`
  carries the decoded `Denial`, so quick fixes use the exact action and resource. A decode
  that fails (the tool's own AccessDenied, boto3 missing, timeout) becomes an Information
  diagnostic next to the denial plus a window/logMessage;
- on didOpen/didSave of a policy file the index maps to a principal, the deployed policies
  are compared (`LiveMode.diff_with_workspace`) and differences are published as
  Information diagnostics under the `live` producer;
- `accessdenied.pullRecentDenials <principal ARN>` reads recent CloudTrail denials into the
  virtual document `accessdenied-cloudtrail:/<principal>`, published like log denials;
- `live.status()` is logged on initialized and after every settings change.

`LiveState` is one more `Feature`: its hooks (initialized, opened, saved, settings
changed, rewrite_diagnostics) run after the other features', so no other module needs to
know about live mode. `register(server, factory=...)` takes a LiveMode factory
(settings -> LiveMode-like object) for tests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from accessdenied.lsp import convert, diagnostics, explain
from accessdenied.lsp.diagnostics import DENIALS
from accessdenied.lsp.feature import Feature
from accessdenied.lsp.server import AccessDeniedServer, DenialSource, uri_to_path
from accessdenied.text import LineIndex

if TYPE_CHECKING:
    from accessdenied.denials.model import Denial

logger = logging.getLogger(__name__)

LIVE = "live"
PULL_COMMAND = "accessdenied.pullRecentDenials"
CLOUDTRAIL_SCHEME = "accessdenied-cloudtrail"
INDEX_WAIT = 10.0  # seconds drift waits for the first workspace index


def _default_factory(settings: Any) -> Any:
    from accessdenied.lsp.live import live_for

    return live_for(settings)


def cloudtrail_uri(principal: str) -> str:
    """The virtual document of a principal's pulled CloudTrail denials."""
    return f"{CLOUDTRAIL_SCHEME}:/{principal}"


def live_enabled(settings: Any) -> bool:
    """Whether the user switched live mode on (read without touching live/aws modules)."""
    aws = getattr(settings, "aws", None)
    return bool(getattr(aws, "live_mode", False))


def decoded_suffix(d: Denial) -> str:
    """The decoded request in words, appended to a denial diagnostic's message."""
    verdict = {"explicit": "explicit deny", "implicit": "implicit deny"}.get(
        d.decision, "decision unknown"
    )
    bits = [
        f"principal {d.principal or '?'}",
        f"action {d.action or '?'}",
        f"resource {d.resource or '?'}",
        verdict,
    ]
    matched = [n for n in d.notes if n.startswith("matched ")]
    bits.append("; ".join(matched) if matched else "no matched statements")
    return " [decoded authorization message: " + ", ".join(bits) + "]"


def merge_decoded(original: Denial, decoded: Denial) -> Denial:
    """`decoded` placed where `original` appears (same span and text)."""
    return dataclasses.replace(decoded, span=original.span, text=original.text)


class LiveState(Feature):
    """Per-server live-mode state: decode caches, in-flight work, drift results."""

    name = "live"

    def __init__(
        self, server: AccessDeniedServer, factory: Callable[[Any], Any]
    ) -> None:
        super().__init__(server)
        self.factory = factory
        self.decoded: dict[str, Denial] = {}
        self.failed: dict[str, str] = {}
        self.inflight: set[str] = set()

    # -- helpers -------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return live_enabled(self.server.settings)

    def live(self) -> Any:
        return self.factory(self.server.settings)

    def log(
        self, message: str, kind: types.MessageType = types.MessageType.Info
    ) -> None:
        try:
            self.server.window_log_message(
                types.LogMessageParams(type=kind, message=f"AccessDenied: {message}")
            )
        except Exception:  # no client yet (unit tests) or a closed stream
            logger.info("%s", message)

    def spawn(self, coro: Any, name: str) -> None:
        try:
            self.server.run_task(coro, name=name)
        except RuntimeError:  # no running loop
            coro.close()

    # -- 1. encoded authorization messages ------------------------------------------
    def rewrite_diagnostics(
        self, uri: str, producer: str, diagnostics: Sequence[types.Diagnostic]
    ) -> Sequence[types.Diagnostic]:
        """Denial diagnostics with decoded denials rewritten (live mode on only)."""
        if producer == DENIALS and self.enabled:
            try:
                return self.rewrite(uri, diagnostics)
            except Exception:
                logger.exception("live mode: rewriting denials of %s failed", uri)
        return diagnostics

    async def initialized(self) -> None:
        self.log_status()

    async def opened(self, uri: str) -> None:
        if self.enabled:
            self.spawn(self.drift(uri), f"live-drift:{uri}")

    async def saved(self, uri: str) -> None:
        await self.opened(uri)

    def rewrite(
        self, uri: str, diags: Sequence[types.Diagnostic]
    ) -> list[types.Diagnostic]:
        """Decoded message/data on denial diagnostics; schedule decodes still needed."""
        out: list[types.Diagnostic] = []
        republish = False
        # Diagnostic data is redacted (no blob): find each denial in its source by span.
        source = self.server.sources.get(uri)
        by_span = {
            (d.span.start, d.span.end): d
            for d in (source.denials if source is not None else ())
        }
        for diag in diags:
            out.append(diag)
            data = diag.data if isinstance(diag.data, dict) else None
            if not data or data.get("kind") != "denial":
                continue
            shown = convert.denial_from_data(data.get("denial"))
            if shown is None:
                continue
            denial = by_span.get((shown.span.start, shown.span.end))
            if denial is None or not denial.encoded_blob:
                continue
            blob = denial.encoded_blob
            if denial.source == "decoded":
                if "[decoded authorization message" not in diag.message:
                    diag.message += decoded_suffix(shown)
                continue
            if blob in self.decoded:
                exact = merge_decoded(denial, self.decoded[blob])
                diag.message = explain.message(exact) + decoded_suffix(exact)
                diag.data = {
                    **data,
                    "denial": convert.denial_to_data(explain.redacted(exact)),
                }
                republish = True  # related info / policy side for the exact request
            elif blob in self.failed:
                out.append(
                    types.Diagnostic(
                        range=diag.range,
                        message=self.failed[blob],
                        severity=types.DiagnosticSeverity.Information,
                        source=convert.SOURCE,
                        code="live-decode",
                        data={"kind": "live-finding"},
                    )
                )
            elif blob not in self.inflight:
                self.inflight.add(blob)
                self.spawn(self.decode(denial), f"live-decode:{uri}")
        if republish:
            self.spawn(self.republish(blob_filter=None), "live-republish")
        return out

    async def decode(self, denial: Denial) -> None:
        blob = denial.encoded_blob or ""
        try:
            result = await self.live().decode(denial)
            value = result.value
            if value is not None and value.source == "decoded":
                self.decoded[blob] = value
            else:
                why = "; ".join(result.messages()) or "no decoded request came back"
                self.failed[blob] = (
                    f"live mode could not decode the encoded authorization message: {why}"
                )
                self.log(self.failed[blob], types.MessageType.Warning)
        except Exception as exc:  # a bug: report it, never crash the server
            logger.exception("live mode: decoding failed")
            self.failed[blob] = f"live mode could not decode the message: {exc}"
        finally:
            self.inflight.discard(blob)
        await self.republish(blob_filter=blob)

    async def republish(self, blob_filter: str | None) -> None:
        """Re-publish sources holding decoded/failed blobs (decoded denials swapped in)."""
        ls = self.server
        for source in list(ls.sources.values()):
            changed = False
            for i, d in enumerate(source.denials):
                blob = d.encoded_blob
                if not blob or (blob_filter is not None and blob != blob_filter):
                    continue
                if d.source != "decoded" and blob in self.decoded:
                    source.denials[i] = merge_decoded(d, self.decoded[blob])
                    changed = True
                elif blob in self.failed or (
                    blob_filter is None and blob not in self.inflight
                ):
                    changed = True
            if changed:
                await diagnostics.publish_source(ls, source)

    # -- 2. drift --------------------------------------------------------------------
    def principals_of(self, path: Path) -> list[str]:
        """Principals whose identity policies the index finds in `path`."""
        index = self.server.index
        if index is None:
            return []
        try:
            resolved = path.resolve()
        except OSError:
            resolved = path
        out: list[str] = []
        for ref in index.refs_of("identity"):
            arn = ref.principal or ref.target
            if ref.path == resolved and arn and "*" not in arn and arn not in out:
                out.append(arn)
        return out

    def documents(self, principal: str, path: Path, text: str) -> dict[str, Any]:
        """`{label: document}` for `principal`, this file's current text taking priority."""
        index = self.server.index
        out: dict[str, Any] = {}
        if index is None:
            return out
        root = index.root
        for ref in index.policies_for(principal):
            doc = index.document(ref)
            if ref.path == path.resolve() and ref.embed == "json":
                try:
                    parsed = json.loads(text)
                    doc = parsed if isinstance(parsed, dict) else doc
                except ValueError:
                    pass
            if doc is None:
                continue
            try:
                label = str(ref.path.relative_to(root)) if root else str(ref.path)
            except ValueError:
                label = str(ref.path)
            if ref.name and ref.embed != "json":
                label = f"{label} ({ref.name})"
            out.setdefault(label, doc)
        return out

    async def drift(self, uri: str) -> None:
        """Compare the deployed policies of the file's principals with the workspace."""
        ls = self.server
        if not self.enabled:
            return
        path = uri_to_path(uri)
        if path is None:
            return
        try:
            await asyncio.wait_for(ls.index_done.wait(), INDEX_WAIT)
        except TimeoutError:
            return
        if ls.kinds.get(uri) != "policy" and str(path) not in ls.index_paths:
            return
        principals = self.principals_of(path)
        if not principals:
            return
        doc = ls.open_document(uri)
        text = str(doc.source) if doc is not None else ls.read_text(path)
        live = self.live()
        out: list[types.Diagnostic] = []
        first = types.Range(
            start=types.Position(line=0, character=0),
            end=types.Position(line=0, character=len(text.split("\n", 1)[0])),
        )
        for principal in principals:
            docs = self.documents(principal, path, text)
            if not docs:
                continue
            result = await live.diff_with_workspace(principal, docs)
            diff = result.value
            if diff is not None and diff.differs:
                out.append(_info(first, diff.message(), "live-drift", principal))
            for message in result.messages():
                out.append(_info(first, message, "live-finding", principal))
                self.log(message, types.MessageType.Warning)
        if not live_enabled(ls.settings):  # switched off meanwhile
            return
        if out:
            ls.store.set(uri, LIVE, out)
        else:
            ls.store.clear(uri, LIVE)

    # -- 3. CloudTrail pull --------------------------------------------------------
    async def pull(self, principal: str) -> dict[str, Any]:
        """Recent CloudTrail denials of `principal` as a virtual denial document."""
        ls = self.server
        if not self.enabled:
            from accessdenied.lsp.live import OFF_MESSAGE

            self.log(OFF_MESSAGE)
            return {"ok": False, "uri": None, "denials": 0, "messages": [OFF_MESSAGE]}
        result = await self.live().recent_denials(principal)
        messages = result.messages()
        for m in messages:
            self.log(m, types.MessageType.Warning)
        uri = cloudtrail_uri(principal)
        denials = list(result.value or [])
        limit = max(ls.settings.logs.max_diagnostics, 1)
        lines: list[str] = []
        placed: list[Denial] = []
        offset = 0
        spans: list[tuple[int, int]] = []
        for d in denials[-limit:]:
            line = " ".join(d.text.split()) or (d.action or "denied request")
            lines.append(line)
            spans.append((offset, offset + len(line)))
            offset += len(line) + 1
            placed.append(d)
        text = "\n".join(lines)
        index = LineIndex(text)
        placed = [
            dataclasses.replace(d, span=index.span(a, b), text=text[a:b])
            for d, (a, b) in zip(placed, spans, strict=True)
        ]
        source = DenialSource(
            uri=uri, label=f"CloudTrail {principal}", denials=placed, index=index
        )
        ls.sources[uri] = source
        await diagnostics.publish_source(ls, source)
        self.log(f"pulled {len(placed)} CloudTrail denial(s) of {principal}")
        return {
            "ok": result.value is not None,
            "uri": uri,
            "denials": len(placed),
            "messages": messages,
        }

    # -- 4. status / settings ------------------------------------------------------
    def log_status(self) -> None:
        if not self.enabled:
            from accessdenied.lsp.live import OFF_MESSAGE

            self.log(OFF_MESSAGE)
            return
        self.log(self.live().status())

    async def settings_changed(self) -> None:
        self.log_status()
        self.failed.clear()
        if not self.enabled:
            for uri in self.server.store.uris(LIVE):
                self.server.store.clear(uri, LIVE)
            return
        await self.republish(blob_filter=None)
        for uri, kind in list(self.server.kinds.items()):
            if kind == "policy":
                await self.drift(uri)


def _info(
    rng: types.Range, message: str, code: str, principal: str
) -> types.Diagnostic:
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=types.DiagnosticSeverity.Information,
        source=convert.SOURCE,
        code=code,
        data={"kind": code, "principal": principal},
    )


def register(
    server: AccessDeniedServer, factory: Callable[[Any], Any] | None = None
) -> LiveState:
    """Wire live mode into `server` (inert while live mode is off)."""
    state = LiveState(server, factory or _default_factory)
    server.add_feature(state)

    @server.command(PULL_COMMAND)
    async def pull_recent_denials(ls: AccessDeniedServer, *args: Any) -> Any:
        principal = args[0] if args else None
        if isinstance(principal, list) and principal:
            principal = principal[0]
        if not isinstance(principal, str) or not principal:
            state.log(
                f"{PULL_COMMAND} expects a principal ARN", types.MessageType.Warning
            )
            return {"ok": False, "uri": None, "denials": 0, "messages": []}
        try:
            return await state.pull(principal)
        except Exception as exc:
            logger.exception("live mode: pulling CloudTrail denials failed")
            return {"ok": False, "uri": None, "denials": 0, "messages": [str(exc)]}

    return state
