"""The people bench/load.py sends at the app: a Locust file, run by it as `locust -f` in a process of its own
(Locust's gevent patches would not mix with the Django process that loaded the data). Not a benchmark itself.

Staff search as they type, open profiles and tabs, add notes, tag, filter and export a page; portal customers
browse their pages; visitors open and send the sign-up forms. Every user pauses 3–10 s between actions, as a
person does, and reads its CSRF token from the page it is on, as htmx does (`hx-headers` on <body>).

Environment (set by bench/load.py): LOAD_WORLD (the JSON of logins, organizations and names), LOAD_SAMPLES
(where to write every timed request once all users have logged in), LOAD_STAFF and LOAD_PORTAL (how many),
LOAD_SECONDS (how long to measure)."""

import html
import itertools
import json
import os
import random
import re
import time
from http.cookiejar import CookieJar
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task
from locust.contrib.fasthttp import FastHttpSession

WORLD = json.loads(open(os.environ["LOAD_WORLD"]).read())  # noqa: SIM115 - read once at import
PASSWORD = WORLD["password"]
_staff = itertools.cycle(WORLD["staff"])
_portal = itertools.cycle(WORLD["portal"])
_addresses = itertools.count(1)

CSRF_BODY = re.compile(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PROFILE_LINK = re.compile(r'href="/app/[\w-]+/customers/(\d+)/"')
TAB_LINK = re.compile(r'href="([^"]+)"\s+hx-get="[^"]+"\s+hx-target="#profile-panel"')
ROW_ID = re.compile(r'name="ids" value="(\d+)"')
SUGGESTED_TAG = re.compile(r'name="tag" value="(\d+)"')
NOTE_WORDS = (
    "called about the party date asked for a quote prefers email allergic to nuts brought a friend".split()
)

# Every timed request once all users have logged in (Locust's own table rounds times past 100 ms to 10 ms).
_samples: list[tuple[str, float, bool]] = []
_window = {"started": None, "stopped": None}
_ready = itertools.count(1)
USERS = int(os.environ.get("LOAD_STAFF", "200")) + int(os.environ.get("LOAD_PORTAL", "50"))


def _user_ready(environment) -> None:
    """Opens the measured window once the last user has logged in, and closes it LOAD_SECONDS later."""
    if next(_ready) == USERS:
        _window["started"] = time.time()
        _mark("open")
        gevent.spawn_later(int(os.environ.get("LOAD_SECONDS", "300")), _close, environment)


def _close(environment) -> None:
    _window["stopped"] = time.time()
    _mark("closed")
    environment.runner.quit()


def _mark(what: str) -> None:
    """Tells bench/load.py (which reads the servers' CPU time then) that the window opened or closed."""
    open(f"{os.environ['LOAD_SAMPLES']}.{what}", "w").close()


@events.request.add_listener
def _keep(name, response_time, exception, **_):
    if _window["started"] is not None and _window["stopped"] is None:
        _samples.append((name, response_time, exception is not None))


@events.user_error.add_listener
def _crashed(exception, **_):
    """A person's step that raised (a page without what the next step reads) is an error too: Locust only
    logs it, and the requests it did not make would go uncounted."""
    _keep("a step raised (see locust.log)", 0, exception)


@events.quitting.add_listener
def _write(environment, **_):
    _window["stopped"] = _window["stopped"] or time.time()
    with open(os.environ["LOAD_SAMPLES"], "w") as file:
        json.dump({"window": _window, "samples": _samples}, file)


class Person(FastHttpUser):
    abstract = True
    wait_time = between(3, 10)

    def on_start(self):
        # Behind the declared proxy (TRUSTED_PROXY_COUNT=1) each person has an address of their own, as
        # 250 people in as many places would: per-address limits count each one alone.
        number = next(_addresses)
        self.address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        self.csrf = ""
        self.client = session(self)
        try:
            self.log_in_and_look_around()
        finally:  # a login that failed is an error in the figures, not a window that never opens
            _user_ready(self.environment)

    def log_in_and_look_around(self):
        raise NotImplementedError

    def page(self, url: str, name: str, **headers) -> str:
        """GET like a browser; keeps the page's CSRF token for the forms and htmx posts after it."""
        # Not followed: a redirect here is to the login page, a person signed out, and counts as an error.
        with self.client.get(
            url, name=name, headers=headers, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {url}")
                return ""
            found = CSRF_BODY.search(response.text) or CSRF_INPUT.search(response.text)
            if found:
                self.csrf = html.unescape(found.group(1))
            return response.text

    def post(self, url: str, name: str, data, *, htmx_target: str = "", expect=(200,)) -> str:
        headers = {"X-CSRFToken": self.csrf, "Origin": self.host, "Referer": self.host + url}
        if htmx_target:
            headers |= {"HX-Request": "true", "HX-Target": htmx_target}
        with self.client.post(
            url, data=form_body(data), name=name, headers=headers | FORM, catch_response=True
        ) as response:
            if response.status_code not in expect:
                response.failure(f"{response.status_code} on POST {url}: {response.text[:200]!r}")
                return ""
            redirect = response.headers.get("HX-Redirect")
        if redirect:  # htmx follows it with a GET
            return self.page(redirect, name + " (redirect)")
        return response.text

    def log_in(self, email: str, next_url: str) -> None:
        self.page(f"/accounts/login/?next={next_url}", "login page")
        data = {"username": email, "password": PASSWORD, "next": next_url, "csrfmiddlewaretoken": self.csrf}
        headers = {"Origin": self.host, "Referer": f"{self.host}/accounts/login/"} | FORM
        with self.client.post(
            "/accounts/login/", data=form_body(data), headers=headers, name="login", catch_response=True
        ) as response:
            if not any(cookie.name == "sessionid" for cookie in self.client.cookiejar):
                response.failure(f"{email} could not log in: {response.status_code}")
                return
        found = CSRF_BODY.search(response.text)  # the token changes at login
        self.csrf = html.unescape(found.group(1)) if found else self.csrf


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form_body(data: dict) -> str:
    """A form body as a browser sends it, a list as repeated fields."""
    return urlencode(data, doseq=True)


class ProxiedJar(CookieJar):
    """Sends the production's Secure cookies over the plain HTTP between the bench and gunicorn, as the TLS
    proxy the bench stands in for would pass on what a browser sent it over HTTPS."""

    def set_cookie(self, cookie):
        cookie.secure = False
        super().set_cookie(cookie)


class NamedSession(FastHttpSession):
    """Tells gunicorn's access log the page's name (X-Load-Name), for the server-side times in the report."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cookiejar = self.client.cookiejar = ProxiedJar()

    def request(self, method, url, name=None, headers=None, **kwargs):
        return super().request(
            method, url, name=name, headers={**(headers or {}), "X-Load-Name": name or url}, **kwargs
        )


def session(user: "Person") -> NamedSession:
    """A browser of its own: cookies, and the person's address as the proxy forwards it. Locust's fast client
    (geventhttpclient) takes less of the CPU the app shares with it: 1.5 ms a request, python-requests 2.4."""
    return NamedSession(
        base_url=user.host,
        request_event=user.environment.events.request,
        user=user,
        network_timeout=user.network_timeout,
        connection_timeout=user.connection_timeout,
        max_redirects=user.max_redirects,
        max_retries=user.max_retries,
        headers={"X-Forwarded-For": user.address, "User-Agent": "Mozilla/5.0 (bench/load.py)"},
    )


class Staff(Person):
    """Front desk staff: most on the 500 k organization, a few on each smaller one."""

    fixed_count = int(os.environ.get("LOAD_STAFF", "200"))

    def log_in_and_look_around(self):
        login = next(_staff)
        self.org = WORLD["organizations"][login["org"]]
        self.admin = login["admin"]
        self.base = f"/app/{self.org['slug']}/customers/"
        self.log_in(login["email"], self.base)
        self.roster_html = self.page(self.base, "roster page")
        self.profiles = [int(pk) for pk in PROFILE_LINK.findall(self.roster_html)]

    def results(self, params: dict, name: str) -> str:
        """The roster's #results fragment, as htmx asks for it."""
        text = self.page(self.base, name) if not params else ""
        if params:
            with self.client.get(
                self.base,
                params=params,
                name=name,
                allow_redirects=False,
                headers={
                    "HX-Request": "true",
                    "HX-Target": "results",
                    "HX-Current-URL": self.host + self.base,
                },
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code} on {self.base}?{form_body(params)}")
                    return ""
                text = response.text
        found = [int(pk) for pk in PROFILE_LINK.findall(text)]
        if found:
            self.profiles = found
        return text

    @task(4)
    def search_as_you_type(self):
        person = random.choice(self.org["people"])
        typed = random.choice([person["last"], f"{person['first']} {person['last']}", person["email"]])
        # htmx waits 200 ms after the last key: a typist sends every second or third prefix.
        cut = random.randint(2, 3)
        while cut <= min(len(typed), cut + 8):
            self.results({"q": typed[:cut]}, "roster search (htmx)")
            time.sleep(random.uniform(0.25, 0.6))
            cut += random.randint(1, 3)
            if cut > len(typed) or random.random() < 0.15:
                break
        if self.profiles and random.random() < 0.7:
            self.open_profile(random.choice(self.profiles[:5]))

    def open_profile(self, pk: int) -> str:
        return self.page(f"{self.base}{pk}/", "profile")

    @task(3)
    def profile_and_tabs(self):
        if not self.profiles:
            return
        pk = random.choice(self.profiles)
        text = self.open_profile(pk)
        tabs = TAB_LINK.findall(text)
        for url in random.sample(tabs, min(len(tabs), random.randint(1, 2))):
            time.sleep(random.uniform(1, 3))
            self.page(
                html.unescape(url),
                "profile tab (htmx)",
                **{"HX-Request": "true", "HX-Target": "profile-panel"},
            )

    @task(2)
    def add_note(self):
        if not self.profiles:
            return
        pk = random.choice(self.profiles)
        self.open_profile(pk)
        tab = f"{self.base}{pk}/notes/"
        self.page(tab, "profile tab (htmx)", **{"HX-Request": "true", "HX-Target": "profile-panel"})
        time.sleep(random.uniform(2, 5))  # typing the note
        text = " ".join(random.sample(NOTE_WORDS, 6)).capitalize() + "."
        self.post(
            f"{tab}add/", "add note (htmx)", {"text": text, "visibility": "staff"}, htmx_target="profile-tabs"
        )

    @task(1)
    def tag_customer(self):
        if not self.profiles:
            return
        pk = random.choice(self.profiles)
        self.open_profile(pk)
        letter = random.choice(self.org["tags"])[0]
        suggestions = self.page(
            f"{self.base}{pk}/tags/suggest/?name={letter}",
            "tag suggestions (htmx)",
            **{"HX-Request": "true", "HX-Target": "tag-suggestions"},
        )
        ids = SUGGESTED_TAG.findall(suggestions)
        if ids:
            self.post(
                f"{self.base}{pk}/tags/add/",
                "tag customer (htmx)",
                {"tag": random.choice(ids)},
                htmx_target="tags-box",
            )

    @task(2)
    def filter_roster(self):
        params = random.choice(
            [
                {"birthday_month": str(random.randint(1, 12))},
                {"has_email": "true", "source": "import"},
                {"letter": random.choice("ABCDGHKLMPRSTW")},
                {"status": "all", "letter": random.choice("BCMS")},
                {"tag": str(random.choice(self.org["tag_ids"]))},  # any of the tags: the default mode
                {"birthday_month": str(random.randint(1, 12)), "has_phone": "true"},
            ]
        )
        self.results(params, "roster filter (htmx)")
        if random.random() < 0.3:
            self.results(params | {"page": "2"}, "roster filter (htmx)")

    @task(1)
    def browse_roster(self):
        text = self.page(f"{self.base}?page={random.randint(1, 40)}", "roster page")
        self.profiles = [int(pk) for pk in PROFILE_LINK.findall(text)] or self.profiles
        if self.admin:  # "Export CSV" with the page's rows ticked (admins: customers.export)
            ids = ROW_ID.findall(text)
            with self.client.post(
                f"{self.base}export.csv",
                data=form_body(
                    {"ids": ids, "leave_out_do_not_solicit": ["0", "1"], "csrfmiddlewaretoken": self.csrf}
                ),
                headers={"Origin": self.host, "Referer": self.host + self.base} | FORM,
                name="export page (CSV)",
                catch_response=True,
            ) as response:
                if response.status_code != 200 or response.text.count("\n") < len(ids):
                    response.failure(f"{response.status_code}: {len(ids)} rows asked")


class PortalCustomer(Person):
    """A customer with a login browsing their portal; one in five also opens (and some send) a sign-up form,
    logged out, as a new visitor would."""

    fixed_count = int(os.environ.get("LOAD_PORTAL", "50"))

    def log_in_and_look_around(self):
        login = next(_portal)
        self.slug = login["slug"]
        self.visitor = login["visitor"]
        account = f"/{self.slug}/account/"
        self.log_in(login["email"], account)
        text = self.page(account, "portal: My details")
        skip = ("/signup", "/claim", "/confirm", "/email/", "/logout")
        found = re.findall(rf'href="(/{self.slug}/[^"?#]*)"', text)
        # The page may have failed (counted as an error): their own details are always there.
        self.sections = sorted({url for url in found if not any(word in url for word in skip)} | {account})

    @task(5)
    def browse(self):
        url = random.choice(self.sections)
        self.page(url, "portal: " + (url.removeprefix(f"/{self.slug}/").strip("/") or "home"))

    @task(1)
    def sign_up_pages(self):
        if not self.visitor:
            return
        visitor = session(self)  # logged out, as someone new
        channel = random.choice(["booking", "store"])
        url = f"/{self.slug}/signup/{channel}/"
        with visitor.get(url, name="sign-up page", catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} on {url}")
                return
            form = response.text
        if random.random() < 0.5:
            return
        time.sleep(random.uniform(5, 10))  # filling in the form
        token = html.unescape(CSRF_INPUT.search(form).group(1))
        number = random.randint(1, 10**9)
        data = {
            "csrfmiddlewaretoken": token,
            "first_name": "Visitor",
            "last_name": f"Number{number}",
            "email": f"visitor{number}@example.com",
            "phone": f"(312) 555-{number % 10_000:04d}",
            "password1": "a-long-password-4821",
            "password2": "a-long-password-4821",
        }
        # The child formset's management form, as the page gives it.
        for name, value in re.findall(r'name="(child-[A-Z_]+)"[^>]*value="(\d+)"', form):
            data[name] = value
        with visitor.post(
            url,
            data=form_body(data),
            headers={"Origin": self.host, "Referer": self.host + url} | FORM,
            name="sign-up sent",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or "Check your email" not in response.text:
                said = re.findall(r"invalid-feedback[^>]*>([^<]+)", response.text)
                response.failure(f"{response.status_code}: {said or response.text[:300]!r}")
