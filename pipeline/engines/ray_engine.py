"""The Ray engine: the same per-session work (`process_chunk`) on Ray Data, one model actor per worker.

The driver lists the files and decides every output name (exactly as the local engine does); a
dataset of those tasks goes through `map_batches` into a pool of actors, each of which loads the
model once (`load_model`), works in the driver's current folder, and reads and writes the same
files the local engine would. Workers therefore need the inputs, the model directory, the output
folder and the driver's current folder at the same paths (one machine, or a shared file system)
and the toolkit installed. Only small result rows come back.

Needs the optional extra: pip install 'rupture-markers[ray]'.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Iterator, Sequence

from ..errors import UserError
from .work import ModelSpec, Outcome, Task, WorkOptions, load_model, process_chunk, timeline_for

INSTALL_HINT = "the Ray engine needs the optional extra: pip install 'rupture-markers[ray]' (or: make ray-deps)"


def _import_ray():
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports leave the machine
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return ray


class AnnotateActor:
    """Holds one model; annotates one chunk of tasks per call."""

    def __init__(self, spec: ModelSpec | None, classifier, timeline, options: WorkOptions, cwd: str):
        try:  # relative input, output and model paths mean what they mean to the driver
            os.chdir(cwd)
        except OSError as err:
            raise UserError(f"Ray worker: cannot enter the driver's folder {cwd} ({err.strerror}); "
                            "workers need the same paths (a shared file system)") from None
        self.classifier = classifier if classifier is not None else load_model(spec)
        self.timeline = timeline_for(timeline, self.classifier)
        self.options = options

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        tasks = [Task(int(o), str(p), str(s)) for o, p, s in zip(batch["order"], batch["path"], batch["stem"])]
        outcomes = process_chunk(tasks, self.classifier, self.timeline, self.options)
        return {
            "order": [o.order for o in outcomes], "path": [o.path for o in outcomes],
            "stem": [o.stem for o in outcomes], "written": [o.written or "" for o in outcomes],
            "row": [json.dumps(o.row) if o.row is not None else "" for o in outcomes],
            "document": [json.dumps(o.document, ensure_ascii=False) if o.document is not None else ""
                         for o in outcomes],
            "error": [json.dumps(o.error) if o.error is not None else "" for o in outcomes],
        }


def _outcome(row: dict[str, Any]) -> Outcome:
    def load(key):
        return json.loads(row[key]) if row[key] else None

    return Outcome(int(row["order"]), str(row["path"]), str(row["stem"]), written=row["written"] or None,
                   row=load("row"), document=load("document"), error=load("error"))


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail fast on a cluster address nothing answers at (Ray itself retries for minutes)."""
    import socket

    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise UserError(f"--ray-address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise UserError(f"cannot reach the Ray cluster at {address} ({err.strerror or err}); is the head node "
                        "running (ray start --head) and the port open?") from None


def connect(address: str | None, num_cpus: int | None = None, quiet: bool = False) -> bool:
    """Start or join Ray; return True when this call started it (and should shut it down)."""
    ray = _import_ray()
    if ray.is_initialized():
        return False
    if address:
        check_reachable(address)
    logs = {"logging_level": logging.ERROR if quiet else logging.WARNING, "log_to_driver": not quiet}
    try:
        if address:
            ray.init(address=address, **logs)
        else:
            # A private local instance: loopback only, no dashboard.
            ray.init(num_cpus=num_cpus, include_dashboard=False, _node_ip_address="127.0.0.1", **logs)
    except ConnectionError:  # 'auto' with no cluster running here
        raise UserError(f"--ray-address {address}: no Ray cluster found (start one with `ray start --head`, "
                        "or give its HOST:PORT)") from None
    return True


def pool_size(cluster: dict[str, float], threads: int, n_tasks: int, device: str) -> int:
    """Actors to start: as many as the cluster's CPUs (or GPUs) allow, no more than there are files."""
    by_cpu = int(cluster.get("CPU", 1) // max(1, threads))
    if device.startswith("cuda"):
        gpus = int(cluster.get("GPU", 0))
        if gpus < 1:
            raise UserError("--device cuda with --engine ray: the Ray cluster has no GPU")
        by_cpu = min(by_cpu, gpus)
    return max(1, min(by_cpu, n_tasks))


def run_ray(tasks: Sequence[Task], spec: ModelSpec | None, timeline, options: WorkOptions,
            sessions_per_batch: int = 16, address: str | None = None, classifier=None, progress: bool = False,
            actors: int | None = None) -> Iterator[Outcome]:
    """Yield every task's Outcome (in task order) after the Ray Data pipeline has run."""
    if not tasks:
        return
    ray = _import_ray()
    threads = (spec.threads if spec is not None else None) or 1
    started = connect(address, quiet=not progress)
    try:
        if not progress:
            logging.getLogger("ray.data").setLevel(logging.ERROR)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = progress
        size = actors or pool_size(ray.cluster_resources(), threads, len(tasks), options.device)
        # Small batches when there are few files, so that every actor gets some (a session's
        # results do not depend on which others share its batch).
        per_batch = max(1, min(sessions_per_batch, -(-len(tasks) // size)))
        n_batches = -(-len(tasks) // per_batch)
        items = [{"order": t.order, "path": t.path, "stem": t.stem} for t in tasks]
        ds = ray.data.from_items(items, override_num_blocks=max(1, min(n_batches, 1000)))
        gpu = {"num_gpus": 1} if options.device.startswith("cuda") else {}
        out = ds.map_batches(AnnotateActor, batch_size=per_batch, batch_format="numpy",
                             fn_constructor_kwargs={"spec": spec, "classifier": classifier, "timeline": timeline,
                                                    "options": options, "cwd": os.getcwd()},
                             compute=ray.data.ActorPoolStrategy(size=size), num_cpus=threads, **gpu)
        outcomes = [_outcome(row) for row in out.iter_rows()]
    finally:
        if started:
            ray.shutdown()
    outcomes.sort(key=lambda o: o.order)
    yield from outcomes
