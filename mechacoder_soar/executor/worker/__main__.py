"""The sandbox's entry point: `python -I -S DIR CONFIG_JSON`, where DIR holds this file and the
package as `soar_worker/` (sandbox.py lays it out). `-I` puts no source tree on sys.path, but
Python adds DIR itself when it runs a directory."""
import json
import sys

if __package__:  # python -m mechacoder_soar.executor.worker
    from .zygote import zygote_main
else:
    from soar_worker.zygote import zygote_main

sys.exit(zygote_main(json.loads(sys.argv[1])))
