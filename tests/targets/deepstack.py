# deepstack.py pool|web DIR: real programs' deep Python stacks, whose hot
# function hot() writes the stack it runs in, read from its own frames
# (traceback.walk_stack), to DIR/stack.PID.TID the first time: the truth a
# profiler's samples are compared with.
#
#   pool  a multiprocessing pool (fork) whose workers spend their time in
#         hot(), a few calls below the pool's own machinery
#   web   a Flask-like application served by http.server on 127.0.0.1 (a
#         thread per request, as werkzeug's development server does):
#         its modules live in DIR/venv/lib/python3.11/site-packages, a WSGI
#         call runs through eight middlewares, a router, a view and a
#         template renderer; 12 requests from this process, then it stops
import os
import sys
import threading
import traceback

seen = set()


def hot(n, out):
    key = (os.getpid(), threading.get_native_id())
    if key not in seen:
        seen.add(key)
        fr = [f"{f.f_code.co_qualname} ({f.f_code.co_filename})"
              for f, _ in traceback.walk_stack(sys._getframe())]
        with open(f"{out}/stack.{key[0]}.{key[1]}", "w") as fh:
            fh.write(";".join(reversed(fr)) + "\n")
    x = 0
    for i in range(n):
        x += i * i
    return x


# ---- pool -------------------------------------------------------------

class Analyzer:
    def score(self, n, out):
        return hot(n, out)

    def run(self, n, out):
        return self.score(n, out)


def job(args):
    n, out = args
    return Analyzer().run(n, out)


def pool(out):
    import multiprocessing as mp
    with mp.get_context("fork").Pool(2) as p:
        print("pool", sum(p.map(job, [(300000, out)] * 16, chunksize=1)) > 0)


# ---- web --------------------------------------------------------------

PKG = {
    "flasklike/app.py": '''
from flasklike import routing, templating
class Flask:
    def __init__(self, middlewares):
        self.wsgi = self.wsgi_app
        for m in middlewares:
            self.wsgi = m(self.wsgi)
    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)
    def wsgi_app(self, environ, start_response):
        return self.full_dispatch_request(environ, start_response)
    def full_dispatch_request(self, environ, start_response):
        rv = self.dispatch_request(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [rv.encode()]
    def dispatch_request(self, environ):
        view = routing.Map().match(environ["PATH_INFO"])
        return view(environ)
''',
    "flasklike/routing.py": '''
from flasklike import views
class Map:
    def match(self, path):
        return self.bind(path).match()
    def bind(self, path):
        return MapAdapter(path)
class MapAdapter:
    def __init__(self, path):
        self.path = path
    def match(self):
        return views.View.as_view()
''',
    "flasklike/views.py": '''
from flasklike import templating
class View:
    @classmethod
    def as_view(cls):
        def view(environ):
            return cls().dispatch(environ)
        return view
    def dispatch(self, environ):
        return self.get(environ)
    def get(self, environ):
        return templating.render("report", environ["OUT"])
''',
    "flasklike/templating.py": '''
import deepstack
def render(name, out):
    return Template(name).render(out)
class Template:
    def __init__(self, name):
        self.name = name
    def render(self, out):
        return self._render_block(out)
    def _render_block(self, out):
        return str(deepstack.hot(400000, out))
''',
    "flasklike/middleware.py": '''
def make(name):
    def middleware(app):
        def call(environ, start_response):
            return app(environ, start_response)
        call.__qualname__ = name + ".__call__"
        return call
    return middleware
''',
}


def web(out):
    import http.server
    import urllib.request
    import wsgiref.handlers

    site = os.path.join(out, "venv/lib/python3.11/site-packages")
    for rel, text in PKG.items():
        os.makedirs(os.path.dirname(os.path.join(site, rel)), exist_ok=True)
        with open(os.path.join(site, rel), "w") as fh:
            fh.write(text)
    open(os.path.join(site, "flasklike/__init__.py"), "w").close()
    sys.path.insert(0, site)
    sys.modules["deepstack"] = sys.modules[__name__]
    from flasklike import app as flaskapp, middleware

    names = ["ProxyFix", "SessionMiddleware", "CSRFProtect", "Compress",
             "CORS", "Talisman", "LoginManager", "DebugToolbar"]
    app = flaskapp.Flask([middleware.make(n) for n in names])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            env = {"PATH_INFO": self.path, "OUT": out,
                   "REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.0"}
            h = wsgiref.handlers.SimpleHandler(
                self.rfile, self.wfile, sys.stderr, env,
                multithread=True, multiprocess=False)
            h.http_version = "1.0"
            h.run(app)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, name="server",
                         daemon=True)
    t.start()
    ok = 0
    try:
        for i in range(12):
            url = "http://127.0.0.1:%d/report/%d" % (srv.server_port, i)
            with urllib.request.urlopen(url, timeout=60) as r:
                ok += r.status == 200 and r.read().isdigit()
    finally:
        srv.shutdown()
        t.join()
        srv.server_close()
    print("web", ok)


if __name__ == "__main__":
    {"pool": pool, "web": web}[sys.argv[1]](sys.argv[2])
