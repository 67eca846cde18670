"""Where the emulator's objects live: kept in the --data file between runs, forgotten when a call is undone,
and each change announced as an event (listed newest first, as in Stripe)."""

import os
import pickle
from pathlib import Path

from localstripe import resources
from localstripe.webhooks import schedule_webhook


class _SavedObjects(pickle.Unpickler):
    """Reads the data file, also one saved when the emulator was a single script, whose classes were
    `__main__`'s."""

    MOVED = {"Price": "prices", "PortalSession": "portal"}

    def find_class(self, module, name):
        if module == "__main__" and name in self.MOVED:
            module = f"{__package__}.{self.MOVED[name]}"
        return super().find_class(module, name)


def keep_objects_in(data_file: Path) -> None:
    """Its objects live in `data_file` (localstripe would share /tmp/localstripe.pickle with every other
    run)."""

    def load(store):
        try:
            with data_file.open("rb") as file:
                saved = _SavedObjects(file).load()  # our own file, written below
        except FileNotFoundError:
            return
        store.clear()
        store.update(saved)

    def save(store):
        partial = data_file.with_name(data_file.name + ".partial")
        with partial.open("wb") as file:
            pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, data_file)

    resources.Store.try_load_from_disk = load
    resources.Store.dump_to_disk = save


def emit(type, obj, previous=None, send=True):
    event = resources.Event(type, obj)
    if previous is not None:
        event.data["previous_attributes"] = previous
    if send:
        schedule_webhook(event)
    return event


def deliver(events):
    for event in events:
        schedule_webhook(event)


def forget(*objects):
    for obj in objects:
        resources.store.pop(f"{obj.object}:{obj.id}", None)
    resources.store.dump_to_disk()


def _events_newest_first(list_events):
    def list_all(url, **filters):
        listed = list_events(url, **filters)
        listed._list.reverse()  # the store keeps them oldest first
        return listed

    return list_all


def list_events_newest_first() -> None:
    """Stripe lists events newest first."""
    resources.Event._api_list_all = staticmethod(_events_newest_first(resources.Event._api_list_all))
