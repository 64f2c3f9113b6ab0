#!/usr/bin/env python3
"""Drive the peer recorder omgrab's ChunkedWriter on raw frames; print one JSON object.

Feeds omgrab exactly as its own runtime (omgrab.runtime.recording_session) does:
one producer thread per stream putting ``(payload, datetime)`` tuples on
``ChunkedWriter.get_encoder_queue(name)``.  Video payloads are HxWx3 uint8 numpy
arrays (rgb24); the data stream payload is ``bytes`` (JSON), stored by omgrab as
an ASS subtitle packet.  Frame i of every stream is stamped t0 + i/fps, with
t0 = time.time() at start (omgrab reads ``timestamp.timestamp()``).

After ``stop()`` the harness (unless --no-finalize) does what omgrab's
RecordingManager.stop_recording does: ``merge_recording_chunks`` (ffmpeg concat
into one MKV, deleting the spool directory) and ``write_manifest``.  Chunk files
are hard-linked to OUT/chunks/ first so they can still be probed.

Run with the venv python from setup.sh, e.g.
  PY=$(benchmarks/omgrab/setup.sh | tail -1)
  $PY benchmarks/omgrab/omgrab_record.py --frames f.rgb --width 320 --height 240 \
      --seconds 5 --chunk 2 --out /tmp/omg-run
"""
import argparse
import datetime
import json
import logging
import math
import os
import pathlib
import queue
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
import types

MARKER = '.omgrab_harness'
UTC = datetime.timezone.utc


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--frames', required=True, help='raw rgb24 file, N frames of W*H*3 bytes (looped)')
    p.add_argument('--width', type=int, required=True)
    p.add_argument('--height', type=int, required=True)
    p.add_argument('--fps', type=float, default=30.0)
    p.add_argument('--streams', type=int, default=2, help='video streams cam0..camN-1')
    p.add_argument('--data', action='store_true', help='add data stream "imu", one ~200 B JSON payload per cam0 frame')
    p.add_argument('--seconds', type=float, default=5.0, help='recorded seconds of frames per stream')
    p.add_argument('--chunk', type=float, default=60.0, help='omgrab chunk_length_s')
    p.add_argument('--out', required=True, help='output directory (created; wiped if made by this harness)')
    p.add_argument('--pace', choices=['fast', 'realtime'], default='fast',
                   help='fast: as fast as queues take them, wait when full (never drop); '
                        'realtime: put_nowait at each frame\'s wall time, drop when full (as omgrab\'s runtime does)')
    p.add_argument('--silent', action='append', default=[], metavar='STREAM:SECONDS',
                   help='STREAM gets no frames with timestamp >= SECONDS (repeatable)')
    p.add_argument('--codec', default='libx264')
    p.add_argument('--bitrate', type=int, default=2_000_000, help="omgrab's VideoStreamConfig default")
    p.add_argument('--queue-size', type=int, default=200, help="ChunkedWriter max_encoder_queue_size (omgrab default 200; its runtime uses 400)")
    p.add_argument('--stall-timeout', type=float, default=30.0,
                   help='fast pace: give up on a stream whose queue stays full this long (recorded as an error)')
    p.add_argument('--watchdog', type=float, default=0.0,
                   help='if >0: after this many wall seconds print the JSON gathered so far with "hung": true and exit 3')
    p.add_argument('--no-drain', action='store_true',
                   help='call stop() as soon as the producers finish, with frames still queued. omgrab drains its '
                        'queues on stop() only until the next chunk rotation: frames queued past a chunk '
                        'boundary are discarded. Default: wait until the queues are empty (or stop shrinking for 1 s)')
    p.add_argument('--copy-frames', action='store_true',
                   help='submit a fresh copy of each frame (like a camera delivering new buffers), so queued '
                        'frames cost memory; default submits views of the looped source frames (no copy)')
    p.add_argument('--no-finalize', action='store_true', help='skip merge_recording_chunks + write_manifest after stop()')
    p.add_argument('--verbose', action='store_true', help='also print omgrab log records to stderr')
    return p.parse_args(argv)


def import_omgrab():
    # omgrab.recording imports omgrab.cameras, whose __init__ imports cv2 (USB camera).
    # The writer never uses it; stub it when opencv is not installed (setup.sh --no-deps path).
    try:
        import cv2  # noqa: F401
    except ImportError:
        sys.modules['cv2'] = types.ModuleType('cv2')
    import importlib.metadata as md
    import av
    import numpy as np
    from omgrab.recording import chunked_writer, manifest, py_av_writer, stream_configs
    versions = {'omgrab': md.version('omgrab'), 'av': av.__version__,
                'av_ffmpeg': getattr(av, 'ffmpeg_version_info', None), 'numpy': np.__version__,
                'python': sys.version.split()[0]}
    try:
        versions['ffmpeg_cli'] = subprocess.run(['ffmpeg', '-version'], capture_output=True, text=True).stdout.split('\n')[0]
    except FileNotFoundError:
        versions['ffmpeg_cli'] = None
    return np, chunked_writer, manifest, py_av_writer, stream_configs, versions


def rss_mb():
    try:
        with open('/proc/self/statm') as f:
            return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20
    except OSError:
        return None


class LogCollector(logging.Handler):
    def __init__(self, t_start):
        super().__init__(logging.WARNING)
        self.t_start = t_start
        self.records = []
        self.counts = {}

    def emit(self, record):
        msg = record.getMessage().split('\n')[0]
        key = re.sub(r'\d+', '#', msg)[:120]
        self.counts[key] = self.counts.get(key, 0) + 1
        if len(self.records) < 30:
            self.records.append({'t_s': round(time.monotonic() - self.t_start, 3),
                                 'level': record.levelname, 'msg': msg[:300]})


class DirWatcher(threading.Thread):
    """Polls the spool directory every 10 ms; records first/last sighting of each file."""

    def __init__(self, path, t_start, interval=0.010):
        super().__init__(daemon=True, name='dir-watcher')
        self.path, self.t_start, self.interval = path, t_start, interval
        self.first_seen, self.last_seen, self.gone_at = {}, {}, {}
        self.rss_max = 0.0
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()

    def poll(self):
        now = time.monotonic() - self.t_start
        try:
            names = set(os.listdir(self.path))
        except FileNotFoundError:
            names = set()
        with self.lock:
            for n in names:
                self.first_seen.setdefault(n, now)
                self.last_seen[n] = now
                self.gone_at.pop(n, None)
            for n in self.first_seen:
                if n not in names and n not in self.gone_at:
                    self.gone_at[n] = now

    def run(self):
        i = 0
        while not self.stop_ev.is_set():
            self.poll()
            if i % 10 == 0:
                r = rss_mb()
                if r and r > self.rss_max:
                    self.rss_max = r
            i += 1
            self.stop_ev.wait(self.interval)


def ffprobe_counts(path):
    """Packets per stream via ffprobe; stream names from the 'stream' tag set by this harness."""
    try:
        s = subprocess.run(['ffprobe', '-v', 'error', '-show_entries',
                            'stream=index,codec_type,codec_name:stream_tags', '-of', 'json', str(path)],
                           capture_output=True, text=True, timeout=60)
        streams = json.loads(s.stdout or '{}').get('streams', [])
        pk = subprocess.run(['ffprobe', '-v', 'error', '-show_entries', 'packet=stream_index,pts_time',
                             '-of', 'csv=p=0', str(path)], capture_output=True, text=True, timeout=120)
    except (FileNotFoundError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
        return {'error': repr(e)}
    names = {}
    for st in streams:
        tags = {k.lower(): v for k, v in (st.get('tags') or {}).items()}
        names[st['index']] = tags.get('stream') or f"#{st['index']}:{st.get('codec_type')}"
    out = {}
    for line in pk.stdout.splitlines():
        parts = line.split(',')
        if not parts or not parts[0].strip().isdigit():
            continue
        idx = int(parts[0])
        name = names.get(idx, f'#{idx}')
        d = out.setdefault(name, {'packets': 0, 'first_pts_s': None, 'last_pts_s': None})
        d['packets'] += 1
        try:
            t = float(parts[1])
            d['first_pts_s'] = t if d['first_pts_s'] is None else min(d['first_pts_s'], t)
            d['last_pts_s'] = t if d['last_pts_s'] is None else max(d['last_pts_s'], t)
        except (IndexError, ValueError):
            pass
    if pk.returncode != 0 or pk.stderr.strip():
        out['_ffprobe_stderr'] = pk.stderr.strip()[-300:]
    return out


def imu_indices(av, path):
    """Decode the data track's JSON payloads and report which payload indices landed."""
    try:
        with av.open(str(path)) as c:
            subs = [s for s in c.streams if s.type == 'subtitle']
            if not subs:
                return None
            idx = []
            bad = 0
            for pkt in c.demux(subs[0]):
                if pkt.size == 0:
                    continue
                raw = bytes(pkt)
                m = re.search(rb'"i":(\d+)', raw)
                if m:
                    idx.append(int(m.group(1)))
                else:
                    bad += 1
            r = {'count': len(idx), 'unparsed': bad}
            if idx:
                r.update(first=min(idx), last=max(idx), distinct=len(set(idx)))
            return r
    except Exception as e:  # noqa: BLE001
        return {'error': repr(e)[:200]}


def main():
    args = parse_args()
    np, chunked_writer, manifest, py_av_writer, stream_configs, versions = import_omgrab()
    import av

    W, H, fps = args.width, args.height, args.fps
    frame_bytes = W * H * 3
    size = os.path.getsize(args.frames)
    n_src = size // frame_bytes
    if n_src == 0 or size % frame_bytes:
        sys.exit(f'{args.frames}: {size} bytes is not a whole number of {W}x{H} rgb24 frames')
    frames = np.fromfile(args.frames, dtype=np.uint8).reshape(n_src, H, W, 3)

    out = pathlib.Path(args.out)
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            sys.exit(f'{out} is not empty and was not created by this harness')
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text('')
    rec_id = 'rec'
    spool = out / 'spool' / rec_id
    spool.mkdir(parents=True)

    vnames = [f'cam{i}' for i in range(args.streams)]
    silent = {}
    for s in args.silent:
        name, _, secs = s.partition(':')
        silent[name] = float(secs)
    video_cfgs = {n: stream_configs.VideoStreamConfig(
        width=W, height=H, fps=fps, codec=args.codec, bitrate=args.bitrate,
        metadata={'type': 'rgb', 'stream': n}) for n in vnames}
    data_cfgs = {'imu': stream_configs.DataStreamConfig(metadata={'type': 'imu', 'stream': 'imu'})} if args.data else {}
    all_names = vnames + list(data_cfgs)
    n_frames = int(round(args.seconds * fps))

    crashed = []
    t_start = time.monotonic()
    t0 = time.time()   # frame i of every stream is stamped t0 + i/fps
    logs = LogCollector(t_start)
    omg_logger = logging.getLogger('omgrab')
    omg_logger.addHandler(logs)
    omg_logger.setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    if args.verbose:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter('%(relativeCreated)8.0fms %(threadName)s %(levelname)s %(message)s'))
        omg_logger.addHandler(h)

    writer = chunked_writer.ChunkedWriter(
        name=rec_id, output_directory=spool, stream_configs=video_cfgs,
        sensor_stream_configs=data_cfgs, chunk_length_s=args.chunk,
        max_encoder_queue_size=args.queue_size, on_error=crashed.append)

    submit_t = {n: [None] * n_frames for n in all_names}   # monotonic-relative time put() returned
    submitted = {n: 0 for n in all_names}
    refused = {n: 0 for n in all_names}       # frames that met a full queue (fast: waited; realtime: dropped)
    wait_s = {n: 0.0 for n in all_names}
    max_late = {n: 0.0 for n in all_names}
    errors = []
    state = {'phase': 'init'}

    ts = [datetime.datetime.fromtimestamp(t0 + i / fps, tz=UTC) for i in range(n_frames)]
    pad = 'x' * 64

    def payload(name, i):
        if name == 'imu':
            return json.dumps({'i': i, 't': round(t0 + i / fps, 6), 'a': [0.012345, -9.806650, 0.123456],
                               'g': [0.001234, -0.002345, 0.003456], 'pad': pad}, separators=(',', ':')).encode()
        return frames[i % n_src].copy() if args.copy_frames else frames[i % n_src]

    def producer(name):
        q = writer.get_encoder_queue(name)
        limit = n_frames
        if name in silent:
            limit = min(n_frames, max(0, math.ceil(silent[name] * fps - 1e-9)))
        for i in range(limit):
            item = (payload(name, i), ts[i])
            if args.pace == 'realtime':
                delay = (t_start + i / fps) - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    max_late[name] = max(max_late[name], -delay)
                try:
                    q.put_nowait(item)
                except queue.Full:
                    refused[name] += 1
                    continue
            else:
                try:
                    q.put_nowait(item)
                except queue.Full:
                    refused[name] += 1
                    w0 = time.monotonic()
                    try:
                        q.put(item, timeout=args.stall_timeout)
                    except queue.Full:
                        wait_s[name] += time.monotonic() - w0
                        errors.append(f'{name}: queue full for {args.stall_timeout}s at frame {i}; producer gave up')
                        return
                    wait_s[name] += time.monotonic() - w0
            submit_t[name][i] = time.monotonic() - t_start
            submitted[name] += 1

    watcher = DirWatcher(spool, t_start)
    result = {'harness': 'omgrab ChunkedWriter', 'versions': versions,
              'config': {k: v for k, v in vars(args).items()},
              'frames_per_stream': n_frames, 'source_frames': n_src,
              'frames_buffer_mb': round(frames.nbytes / 2**20, 1)}

    def build(hung=False):
        now = time.monotonic() - t_start
        watcher.poll()
        with watcher.lock:
            first, gone = dict(watcher.first_seen), dict(watcher.gone_at)
        # chunk k covers frame timestamps [b_k, b_k + chunk) with b advanced by += chunk as omgrab does
        chunk_of = []
        b, k = t0, 0
        for i in range(n_frames):
            t = t0 + i / fps
            while t - b >= args.chunk:
                b += args.chunk
                k += 1
            chunk_of.append(k)
        last_submit = {}
        for n in all_names:
            for i, st in enumerate(submit_t[n]):
                if st is not None:
                    last_submit[chunk_of[i]] = max(last_submit.get(chunk_of[i], -1.0), st)
        chunks = []
        for name in sorted(first):
            m = re.fullmatch(r'(\d{5})\.mkv', name)
            if not m:
                continue
            k = int(m.group(1)) - 1
            kept = out / 'chunks' / name
            p = kept if kept.exists() else spool / name
            c = {'path': str(p), 'bytes': p.stat().st_size if p.exists() else None,
                 'appeared_at_s': round(first[name], 3)}
            parts = [f for f in first if f.startswith(m.group(1) + '.') and f.endswith('.mkv.part')]
            if parts and all(f in gone for f in parts):
                c['parts_removed_at_s'] = round(max(gone[f] for f in parts), 3)  # after rename+fsync
            if k in last_submit:
                c['last_frame_submitted_at_s'] = round(last_submit[k], 3)
                c['durable_latency_s'] = round(first[name] - last_submit[k], 3)
            chunks.append(c)
        r = dict(result)
        ru_s, ru_c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        rec = state.get('rusage')
        if rec is None and 'ru0' in state:   # hung: measure up to now
            s0, c0 = state['ru0']
            rec = (ru_s.ru_utime - s0.ru_utime + ru_c.ru_utime - c0.ru_utime,
                   ru_s.ru_stime - s0.ru_stime + ru_c.ru_stime - c0.ru_stime,
                   ru_c.ru_utime - c0.ru_utime + ru_c.ru_stime - c0.ru_stime)
        if rec:
            r.update(cpu_user_s=round(rec[0], 3), cpu_sys_s=round(rec[1], 3), cpu_children_s=round(rec[2], 3))
        r.update(
            wall_s=round(state.get('wall_s', now), 3),
            phase=state['phase'], hung=hung,
            frames_submitted=submitted, frames_refused=refused,
            refused_wait_s={n: round(v, 3) for n, v in wait_s.items()} if args.pace == 'fast' else None,
            max_lateness_s={n: round(v, 3) for n, v in max_late.items()} if args.pace == 'realtime' else None,
            queue_depth_when_producers_done=state.get('qdepth_producers_done'),
            drain_s=state.get('drain_s'), drain_stalled=state.get('drain_stalled', False),
            queue_depth_at_stop=state.get('qdepth'),
            expected_chunks=math.ceil(args.seconds / args.chunk - 1e-9),
            chunks=chunks,
            durable_latency_s=[c.get('durable_latency_s') for c in chunks],
            stop_s=state.get('stop_s'), finalize_s=state.get('finalize_s'),
            final_outputs=state.get('final_outputs', []),
            rss_max_mb=round(ru_s.ru_maxrss / 1024, 1),
            rss_max_sampled_during_recording_mb=round(watcher.rss_max, 1),
            spool_after_stop=state.get('spool_after_stop'),
            encoder_threads_alive_after_stop=state.get('alive_after_stop'),
            on_error_streams=crashed,
            errors=errors + [f"{x['level']} @{x['t_s']}s: {x['msg']}" for x in logs.records],
            log_counts=logs.counts)
        return r

    if args.watchdog > 0:
        def dog():
            time.sleep(args.watchdog)
            try:
                r = build(hung=True)
                r['errors'].append(f'watchdog: still in phase {state["phase"]!r} after {args.watchdog}s; exiting')
                threads = [t.name for t in threading.enumerate() if t.name.startswith('encode-')]
                r['encoder_threads_alive'] = threads
                print(json.dumps(r), flush=True)
            finally:
                os._exit(3)
        threading.Thread(target=dog, daemon=True, name='watchdog').start()

    # ---- measured section: writer start .. stop() returns ----
    state['ru0'] = (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    watcher.start()
    state['phase'] = 'recording'
    writer.start()
    prods = [threading.Thread(target=producer, args=(n,), name=f'produce-{n}', daemon=True) for n in all_names]
    for t in prods:
        t.start()
    for t in prods:
        t.join()
    state['qdepth_producers_done'] = {n: writer.get_encoder_queue(n).qsize() for n in all_names}
    if not args.no_drain:
        state['phase'] = 'drain'
        d0 = last_change = time.monotonic()
        last = None
        while True:
            depth = sum(writer.get_encoder_queue(n).qsize() for n in all_names)
            if depth == 0:
                break
            if depth != last:
                last, last_change = depth, time.monotonic()
            elif time.monotonic() - last_change > 1.0:
                state['drain_stalled'] = True
                break
            time.sleep(0.01)
        state['drain_s'] = round(time.monotonic() - d0, 3)
    state['qdepth'] = {n: writer.get_encoder_queue(n).qsize() for n in all_names}
    state['phase'] = 'stop'
    s0 = time.monotonic()
    writer.stop()
    state['stop_s'] = round(time.monotonic() - s0, 3)
    state['wall_s'] = time.monotonic() - t_start
    s1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    ru0s, ru0c = state['ru0']
    state['rusage'] = (s1.ru_utime - ru0s.ru_utime + c1.ru_utime - ru0c.ru_utime,
                       s1.ru_stime - ru0s.ru_stime + c1.ru_stime - ru0c.ru_stime,
                       c1.ru_utime - ru0c.ru_utime + c1.ru_stime - ru0c.ru_stime)
    state['alive_after_stop'] = [t.name for t in writer._encoder_threads if t.is_alive()]
    state['spool_after_stop'] = {f.name: f.stat().st_size for f in sorted(spool.iterdir())}
    # ---- end of measured section ----
    time.sleep(0.05)
    watcher.poll()
    watcher.stop_ev.set()
    watcher.join()

    keep = out / 'chunks'
    keep.mkdir()
    for f in sorted(spool.glob('*.mkv')):
        os.link(f, keep / f.name)

    finals = []
    if not args.no_finalize:
        state['phase'] = 'finalize'
        f0 = time.monotonic()
        final_mkv = out / f'{rec_id}.mkv'
        try:
            py_av_writer.merge_recording_chunks(spool, final_mkv)
            m = manifest.build_manifest(
                recording_id=rec_id, started_at=datetime.datetime.fromtimestamp(t0, tz=UTC),
                stopped_at=datetime.datetime.now(UTC), duration_s=state['wall_s'], devices=[],
                stream_configs_map=video_cfgs, sensor_stream_configs_map=data_cfgs, output_file=final_mkv.name)
            manifest.write_manifest(m, out)
        except Exception as e:  # noqa: BLE001
            errors.append(f'finalize: {e!r}'[:400])
        state['finalize_s'] = round(time.monotonic() - f0, 3)
        for f in (final_mkv, out / f'{rec_id}.json'):
            if f.exists():
                finals.append({'path': str(f), 'bytes': f.stat().st_size})
    state['phase'] = 'probe'
    for f in finals:
        if f['path'].endswith('.mkv'):
            f['streams'] = ffprobe_counts(f['path'])
            if args.data:
                f['imu_payload_indices'] = imu_indices(av, f['path'])
    state['final_outputs'] = finals
    r = build()
    for c in r['chunks']:
        c['streams'] = ffprobe_counts(c['path'])
        if args.data:
            c['imu_payload_indices'] = imu_indices(av, c['path'])
    r['phase'] = 'done'
    print(json.dumps(r), flush=True)


if __name__ == '__main__':
    main()
