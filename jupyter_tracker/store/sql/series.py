"""Series: numeric points packed in compressed chunks, text and image points as rows."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from .. import series_codec as codec
from .. import series_overview as overview
from .. import validation
from ..entities import ImagePoint, SeriesKind, TextPoint
from ..errors import Invalid, NotFound
from ..inputs import ImageAppend, MetricAppend, TextAppend
from ..models import ChunkRow, EntryRow, SeriesRow
from . import convert

# Up to this many points per requested bucket, a downsampled read decodes the points themselves;
# above it the sketches answer alone (a bucket then spans at least a quarter of a sketch record,
# which costs a little resolution and saves decoding every point).
EXACT_POINTS_PER_BUCKET = overview.SKETCH_POINTS // 4
# New points go into the last chunk only while it is less than half full, so that no batch
# rewrites more than half a chunk; every chunk but the last holds at least half CHUNK_POINTS.
MERGE_BELOW = codec.CHUNK_POINTS // 2


def _series(session: Session, run_pk: int, name: str, kind: SeriesKind) -> SeriesRow:
    validation.name(name, "series name")
    row = session.scalar(
        select(SeriesRow).where(SeriesRow.run_id == run_pk, SeriesRow.name == name)
    )
    if row is None:
        row = SeriesRow(
            run_id=run_pk, name=name, kind=kind, count=0, chunk_count=0, updated_at=convert.now()
        )
        session.add(row)
        session.flush()
    elif row.kind != kind:
        raise Invalid(f"series '{name}' holds {row.kind} values, not {kind}", field=name)
    return row


def _steps_for(row: SeriesRow, given: np.ndarray | None, n: int) -> np.ndarray:
    """The steps of new points, checked to continue the series in order."""
    if given is None:
        start = 0.0 if row.last_step is None else float(np.floor(row.last_step)) + 1.0
        return start + np.arange(n, dtype=np.float64)
    if not np.all(np.isfinite(given)):
        raise Invalid(f"steps of series '{row.name}' must be finite numbers", field=row.name)
    if n > 1 and bool(np.any(np.diff(given) < 0)):
        raise Invalid(f"steps of series '{row.name}' must not decrease", field=row.name)
    if n and row.last_step is not None and given[0] < row.last_step:
        raise Invalid(
            f"steps of series '{row.name}' must not go below its last step {row.last_step:g}",
            field=row.name,
        )
    return given


def append_metric(session: Session, run_pk: int, m: MetricAppend) -> int:
    n = len(m.values)
    if n == 0:
        return 0
    row = _series(session, run_pk, m.name, "numeric")
    points = codec.PointArrays(_steps_for(row, m.steps, n), m.timestamps, m.values)
    new_summary = codec.summarize(points)
    seq = row.chunk_count
    if seq:
        tail = session.get(ChunkRow, (row.id, seq - 1))
        assert tail is not None
        if tail.count < MERGE_BELOW:
            points = codec.PointArrays.concat([codec.decode_chunk(tail.data), points])
            seq -= 1
    pieces = codec.split_into_chunks(points, codec.CHUNK_POINTS)
    rows = [
        {
            "series_id": row.id,
            "seq": seq + i,
            "count": len(piece),
            "step_min": float(piece.steps[0]),
            "step_max": float(piece.steps[-1]),
            "data": codec.encode_chunk(piece),
            "sketch": overview.build_sketch(piece),
        }
        for i, piece in enumerate(pieces)
    ]
    if seq < row.chunk_count:
        first = rows.pop(0)
        session.execute(
            update(ChunkRow)
            .where(ChunkRow.series_id == row.id, ChunkRow.seq == first["seq"])
            .values(**{k: v for k, v in first.items() if k not in ("series_id", "seq")})
        )
    if rows:
        session.execute(insert(ChunkRow), rows)
    summary = codec.merge_summaries(
        codec.Summary(row.count, row.first, row.last, row.min, row.max, row.last_step),
        new_summary,
    )
    row.count, row.first, row.last = summary.count, summary.first, summary.last
    row.min, row.max, row.last_step = summary.min, summary.max, summary.last_step
    row.chunk_count = seq + len(pieces)
    row.updated_at = convert.now()
    return n


def _append_entries(session: Session, row: SeriesRow, entries: list[dict[str, object]]) -> None:
    steps = np.array([e["step"] for e in entries], dtype=np.float64) if entries else None
    if steps is not None and any(e["step"] is None for e in entries):
        steps = None
    final = _steps_for(row, steps, len(entries))
    for entry, step in zip(entries, final, strict=True):
        entry["step"] = float(step)
        entry["series_id"] = row.id
    session.execute(insert(EntryRow), entries)
    row.count += len(entries)
    row.last_step = float(final[-1])
    row.updated_at = convert.now()


def append_text(session: Session, run_pk: int, t: TextAppend) -> int:
    if not t.texts:
        return 0
    row = _series(session, run_pk, t.name, "text")
    steps = t.steps or [None] * len(t.texts)
    entries: list[dict[str, object]] = [
        {"step": s, "timestamp": ts, "text": validation.text(x, f"texts.{t.name}")}
        for s, ts, x in zip(steps, t.timestamps, t.texts, strict=True)
    ]
    _append_entries(session, row, entries)
    row.last_text = t.texts[-1][:1000]
    return len(entries)


def append_image(session: Session, run_pk: int, im: ImageAppend) -> int:
    row = _series(session, run_pk, im.name, "image")
    _append_entries(
        session,
        row,
        [
            {
                "step": im.step,
                "timestamp": im.timestamp,
                "blob_sha256": im.sha256,
                "content_type": im.content_type,
                "image_name": im.image_name,
                "description": im.description,
            }
        ],
    )
    return 1


def find(session: Session, run_pk: int, name: str) -> SeriesRow:
    row = session.scalar(
        select(SeriesRow).where(SeriesRow.run_id == run_pk, SeriesRow.name == name)
    )
    if row is None:
        raise NotFound(f"no series '{name}' in this run", field="name")
    return row


def _chunks_in(
    session: Session, series_id: int, lo: float | None, hi: float | None, column: str
) -> list[tuple[int, bytes]]:
    if session.get_bind().dialect.name == "postgresql":
        return _pg_chunks_in(session, series_id, lo, hi, column)
    col = ChunkRow.data if column == "data" else ChunkRow.sketch
    stmt = select(ChunkRow.count, col).where(ChunkRow.series_id == series_id)
    if lo is not None:
        stmt = stmt.where(ChunkRow.step_max >= lo)
    if hi is not None:
        stmt = stmt.where(ChunkRow.step_min <= hi)
    return [(int(c), bytes(b)) for c, b in session.execute(stmt.order_by(ChunkRow.seq))]


def _pg_chunks_in(
    session: Session, series_id: int, lo: float | None, hi: float | None, column: str
) -> list[tuple[int, bytes]]:
    """The same read through a binary-format psycopg cursor: bytea arrives as raw bytes
    rather than as hex text to decode, which is several times faster for large chunks."""
    col = "data" if column == "data" else "sketch"
    sql = f"SELECT count, {col} FROM series_chunks WHERE series_id = %s"
    params: list[float | int] = [series_id]
    if lo is not None:
        sql += " AND step_max >= %s"
        params.append(lo)
    if hi is not None:
        sql += " AND step_min <= %s"
        params.append(hi)
    driver = session.connection().connection.driver_connection
    with driver.cursor(binary=True) as cursor:  # type: ignore[union-attr]
        cursor.execute(sql + " ORDER BY seq", params)
        return [(int(count), bytes(blob)) for count, blob in cursor.fetchall()]


def _empty() -> codec.PointArrays:
    e = np.empty(0, dtype=np.float64)
    return codec.PointArrays(e, e.copy(), e.copy())


def read_points(
    session: Session, row: SeriesRow, lo: float | None, hi: float | None
) -> codec.PointArrays:
    if row.kind != "numeric":
        raise Invalid(f"series '{row.name}' holds {row.kind} values; read its entries", "name")
    parts = [codec.decode_chunk(blob) for _, blob in _chunks_in(session, row.id, lo, hi, "data")]
    if not parts:
        return _empty()
    points = codec.PointArrays.concat(parts)
    if lo is None and hi is None:
        return points
    mask = np.ones(len(points), dtype=bool)
    if lo is not None:
        mask &= points.steps >= lo
    if hi is not None:
        mask &= points.steps <= hi
    return codec.PointArrays(points.steps[mask], points.timestamps[mask], points.values[mask])


def step_bounds(session: Session, series_id: int) -> tuple[float, float] | None:
    lo, hi = session.execute(
        select(func.min(ChunkRow.step_min), func.max(ChunkRow.step_max)).where(
            ChunkRow.series_id == series_id
        )
    ).one()
    return None if lo is None else (float(lo), float(hi))


def read_downsampled(
    session: Session, row: SeriesRow, buckets: int, lo: float | None, hi: float | None
) -> overview.Downsampled:
    if row.kind != "numeric":
        raise Invalid(f"series '{row.name}' holds {row.kind} values; read its entries", "name")
    if buckets < 1:
        raise Invalid("downsample must be at least 1", field="downsample")
    bounds = step_bounds(session, row.id)
    if bounds is None:
        e = np.empty(0, dtype=np.float64)
        return overview.Downsampled(e, e.copy())
    lo = bounds[0] if lo is None else lo
    hi = bounds[1] if hi is None else hi
    if hi < lo:
        # One end was given and lies beyond the points: nothing is in range.
        e = np.empty(0, dtype=np.float64)
        return overview.Downsampled(e, e.copy())
    sketches = _chunks_in(session, row.id, lo, hi, "sketch")
    if sum(count for count, _ in sketches) <= buckets * EXACT_POINTS_PER_BUCKET:
        return overview.downsample_points(read_points(session, row, lo, hi), buckets, lo, hi)
    return overview.downsample_sketches(
        [overview.decode_sketch(blob) for _, blob in sketches], buckets, lo, hi
    )


def read_entries(
    session: Session, row: SeriesRow, lo: float | None, hi: float | None, limit: int
) -> list[TextPoint] | list[ImagePoint]:
    if row.kind == "numeric":
        raise Invalid(f"series '{row.name}' is numeric; read its points", field="name")
    stmt = select(EntryRow).where(EntryRow.series_id == row.id)
    if lo is not None:
        stmt = stmt.where(EntryRow.step >= lo)
    if hi is not None:
        stmt = stmt.where(EntryRow.step <= hi)
    entries = session.scalars(stmt.order_by(EntryRow.step, EntryRow.id).limit(limit))
    if row.kind == "text":
        return [TextPoint(e.step, e.timestamp, e.text or "") for e in entries]
    return [
        ImagePoint(
            e.step,
            e.timestamp,
            e.blob_sha256 or "",
            e.content_type or "",
            e.image_name or "",
            e.description or "",
        )
        for e in entries
    ]
