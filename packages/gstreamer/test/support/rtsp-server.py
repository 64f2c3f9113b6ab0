#!/usr/bin/python3
"""A real RTSP server for the source tests (GStreamer's gst-rtsp-server
through Debian's GObject bindings): a live test picture encoded by x264 and
sent as RTP over UDP or TCP (as the client asks). Prints "ready PORT" once
it listens; runs until killed.

  rtsp-server.py [--port 0] [--path /cam] [--size 320x240] [--fps 25]
                 [--user U --password P] [--codec h264|h265]
                 [--bitrate KBIT] [--pattern ball] [--audio]
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--codec", default="h264", choices=["h264", "h265"])
    parser.add_argument("--bitrate", type=int, default=0, help="kbit/s (0: x264's default)")
    parser.add_argument("--pattern", default="ball")
    parser.add_argument("--audio", action="store_true", help="an Opus track too")
    parser.add_argument("--user")
    parser.add_argument("--password")
    args = parser.parse_args()
    Gst.init(None)
    width, height = args.size.split("x")
    rate = f" bitrate={args.bitrate}" if args.bitrate else ""
    encoder = {
        "h264": f"x264enc tune=zerolatency sliced-threads=false speed-preset=ultrafast key-int-max={args.fps}{rate} ! rtph264pay name=pay0 pt=96 config-interval=-1",
        "h265": f"x265enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps}{rate} ! rtph265pay name=pay0 pt=96 config-interval=-1",
    }[args.codec]
    launch = (
        f"( videotestsrc is-live=true pattern={args.pattern} ! video/x-raw,width={width},height={height},framerate={args.fps}/1,format=I420 "
        f"! {encoder} "
        + ("audiotestsrc is-live=true wave=sine ! audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay name=pay1 pt=97 " if args.audio else "")
        + ")"
    )
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(True)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        basic = GstRtspServer.RTSPAuth.make_basic(args.user, args.password or "")
        auth.add_basic(basic, token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_role_from_structure(
            Gst.Structure.new_from_string("user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
        )
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print("cannot listen", flush=True)
        sys.exit(1)
    print(f"ready {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
