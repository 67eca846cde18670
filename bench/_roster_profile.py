"""CPU time per request of the roster page and its #results fragment (time.process_time, steady on a loaded
machine), with and without 20 custom fields, plus the queries of one page. Not a benchmark `make bench` runs.

    .venv/bin/python bench/_roster_profile.py [--size 40000] [--profile DIR] [-v]
"""

import statistics

from _harness import cpu_per_request, cpu_probe_parser, cpu_probe_world


def main() -> None:
    options = cpu_probe_parser(__doc__).parse_args()
    with cpu_probe_world("roster-profile-", options.size) as (_, orgs, client, rng):
        partial = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
        for org, label in ((orgs[0], "no custom fields"), (orgs[1], "20 custom fields")):
            urls = [f"/app/{org.slug}/customers/?page={rng.randint(1, 20)}" for _ in range(20)]
            urls += [f"/app/{org.slug}/customers/?q={q}" for q in ("sm", "jo", "ma", "lee", "an") * 4]
            for url in urls[:5]:
                assert client.get(url).status_code == 200
                client.get(url, **partial)
            for kind, extra in (("page", {}), ("fragment", partial)):
                profile = f"{options.profile}/{kind}.prof" if options.profile and org is orgs[1] else None
                cpu, queries = cpu_per_request(client, urls, extra, profile)
                print(
                    f"{label:<18}{kind:<10} CPU ms/request median {statistics.median(cpu):6.1f}"
                    f"  mean {statistics.mean(cpu):6.1f}",
                    flush=True,
                )
                print(f"{'':<28}{len(queries)} queries", flush=True)
                if options.v and org is orgs[1]:
                    for query in queries:
                        print("   ", query["sql"][:220])


if __name__ == "__main__":
    main()
