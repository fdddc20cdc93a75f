"""A webhook receiver on 127.0.0.1 for the worker to deliver to.

Each tenant endpoint the tests register points at its own path here; the test decides what each
path answers (and can change it while the worker retries), and every delivery is recorded.
"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self):
        self._lock = threading.Lock()
        self._answers = {}  # path -> (status, Retry-After or None)
        self._deliveries = {}  # path -> [body bytes]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                path = self.path.lstrip("/")
                with receiver._lock:
                    status, retry_after = receiver._answers.get(path, (404, None))
                    receiver._deliveries.setdefault(path, []).append(body)
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass  # the worker's deliveries are counted, not printed

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)
        self._thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self._server.server_address[1]}/{path}"

    def answer(self, path, status, retry_after=None):
        """From now on, deliveries to `path` get `status` (and a Retry-After header when given)."""
        with self._lock:
            self._answers[path] = (status, retry_after)

    def deliveries(self, path):
        with self._lock:
            return list(self._deliveries.get(path, []))

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
