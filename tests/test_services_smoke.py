"""The real servers behind the fixtures work: MongoDB-compatible server (FerretDB locally) and Redis."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time

import mongoengine
import pymongo
import pytest
from bson import ObjectId
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from metasync.settings import get_settings

pytestmark = pytest.mark.services


def test_session_environment_points_at_test_servers():
    settings = get_settings()
    assert settings.mongodb_uri == os.environ["MONGODB_URI"]
    assert settings.mongodb_uri.rsplit("/", 1)[1].split("?")[0].startswith("metasync_test_")
    assert settings.redis_url.split("?")[0].endswith("/15")
    assert settings.broker_url == settings.redis_url
    assert settings.meta_graph_url == "https://graph.test"
    assert settings.meta_app_id == "111"
    assert settings.token_encryption_key
    assert settings.meta_rate_limit_per_hour == 100000


def test_mongo_write_and_read_back(mongo):
    assert mongo.name.startswith("metasync_test_")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 123000, tzinfo=dt.timezone.utc)
    mongo.smoke.insert_one({"_id": "a1", "nested": {"list": [1, {"x": "y"}]}, "when": when, "spend": 12.34})
    doc = mongo.smoke.find_one({"_id": "a1"})
    assert doc["nested"] == {"list": [1, {"x": "y"}]}
    assert doc["when"].replace(tzinfo=dt.timezone.utc) == when
    assert doc["spend"] == 12.34
    mongo.smoke.update_one({"_id": "a1"}, {"$inc": {"spend": 1}, "$set": {"nested.list": []}})
    assert mongo.smoke.find_one({"_id": "a1"}, {"_id": 0, "spend": 1, "nested": 1}) == {
        "spend": 13.34,
        "nested": {"list": []},
    }


def test_mongo_is_emptied_between_tests_and_indexes_hold(mongo):
    # the previous test's document is gone
    assert mongo.smoke.count_documents({}) == 0
    mongo.smoke_unique.create_index([("account_id", 1), ("date", 1)], unique=True)
    mongo.smoke_unique.insert_one({"account_id": "1", "date": "2026-01-01"})
    with pytest.raises(DuplicateKeyError):
        mongo.smoke_unique.insert_one({"account_id": "1", "date": "2026-01-01"})


def test_bulk_upsert_batch_matching_more_than_100_documents(mongo):
    # stock FerretDB 1.24.2 deadlocks here (scripts/services.sh builds it with a fix; docs/ferretdb.md)
    ops = [UpdateOne({"_id": f"ad:{i}"}, {"$set": {"v": 1}, "$setOnInsert": {"n": 0}}, upsert=True) for i in range(150)]
    assert mongo.bulk.bulk_write(ops, ordered=False).upserted_count == 150
    ops = [UpdateOne({"_id": f"ad:{i}"}, {"$set": {"v": 2}}, upsert=True) for i in range(150)]
    result = mongo.bulk.bulk_write(ops, ordered=False)
    assert (result.matched_count, result.modified_count, result.upserted_count) == (150, 150, 0)
    assert mongo.bulk.count_documents({"v": 2, "n": 0}) == 150


def test_concurrent_increments_on_one_document_are_not_lost(mongo):
    # stock FerretDB 1.24.2 loses some of these (read-modify-write without a lock); MongoDB does not
    mongo.counters.insert_one({"_id": "c", "n": 0})

    def worker():
        client = pymongo.MongoClient(os.environ["MONGODB_URI"])
        try:
            for _ in range(25):
                client.get_default_database().counters.update_one({"_id": "c"}, {"$inc": {"n": 1}})
        finally:
            client.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert mongo.counters.find_one({"_id": "c"})["n"] == 100


def _is_ferretdb(db) -> bool:
    return "ferretdbVersion" in db.command("buildInfo")


def test_id_lookup_is_served_by_the_id_index(mongo):
    # stock FerretDB 1.24.2 scans the table for every `_id` lookup, update and delete (docs/ferretdb.md, fix 3)
    if not _is_ferretdb(mongo):
        pytest.skip("the query plan checked here is FerretDB's (SQLite)")
    mongo.plans.insert_many([{"_id": f"t:{i}", "v": i} for i in range(10)])
    plan = " ".join(mongo.command("explain", {"find": "plans", "filter": {"_id": "t:3"}})["queryPlanner"]["Plan"])
    assert "USING INDEX" in plan and "SCAN" not in plan, plan


def test_id_in_lookup_is_served_by_the_id_index(mongo):
    # stock FerretDB 1.24.2 reads the whole collection for `$in` on `_id` (docs/ferretdb.md, fix 4)
    if not _is_ferretdb(mongo):
        pytest.skip("the query plan checked here is FerretDB's (SQLite)")
    oid = ObjectId()
    mongo.plans.insert_many([{"_id": f"t:{i}", "v": i} for i in range(10)] + [{"_id": oid, "v": -1}, {"_id": 7}])
    explained = mongo.command("explain", {"find": "plans", "filter": {"_id": {"$in": ["t:3", "t:5", oid]}}})
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert "USING INDEX" in plan and "SCAN" not in plan, plan
    found = mongo.plans.find({"_id": {"$in": ["t:3", "t:5", oid, "missing"]}})
    assert sorted(str(d["_id"]) for d in found) == sorted(["t:3", "t:5", str(oid)])
    # values of other types are not pushed down, and still match as MongoDB matches them
    assert {d["_id"] for d in mongo.plans.find({"_id": {"$in": [7, "t:1"]}})} == {7, "t:1"}
    assert mongo.plans.update_many({"_id": {"$in": ["t:1", "t:2"]}}, {"$set": {"v": 0}}).modified_count == 2
    assert mongo.plans.delete_many({"_id": {"$in": ["t:1", oid]}}).deleted_count == 2


def _update_rate(collection, size: int, sample: int) -> float:
    """Updates per second of `sample` upserts by `_id` into a collection that holds `size` documents."""
    for start in range(0, size, 1000):
        collection.insert_many([{"_id": f"t:{i}", "v": 0} for i in range(start, min(size, start + 1000))])
    ops = [UpdateOne({"_id": f"t:{i}"}, {"$set": {"v": 1}}, upsert=True) for i in range(0, size, size // sample)]
    began = time.perf_counter()
    assert collection.bulk_write(ops, ordered=False).modified_count == sample
    return sample / (time.perf_counter() - began)


def test_update_by_id_costs_the_same_in_a_ten_times_larger_collection(mongo):
    # With a table scan per update (stock FerretDB 1.24.2) the rate falls about tenfold from 1,000 to 10,000
    # documents; through the index it stays about the same.
    small = _update_rate(mongo.rate_small, 1000, 500)
    large = _update_rate(mongo.rate_large, 10000, 500)
    assert large >= small / 2, f"{large:.0f} updates/s at 10,000 documents vs {small:.0f} at 1,000"


@pytest.mark.parametrize("elsewhere", ["another database", "another collection"])
def test_small_write_is_not_held_up_by_a_large_batch_elsewhere(mongo, elsewhere):
    # The lost-update fix used to serialize every update of the whole server behind one lock, so one client's
    # long bulk_write stalled every other client's writes (docs/ferretdb.md, fix 2).
    other_db = mongo.client[f"{mongo.name}_other"]
    target = other_db.small if elsewhere == "another database" else mongo.small
    target.insert_one({"_id": "s", "n": 0})
    mongo.big.insert_many([{"_id": f"b:{i}", "k": i, "v": 0} for i in range(1000)])
    # filters on a field other than _id read the whole collection per statement: a batch of several seconds
    ops = [UpdateOne({"k": i}, {"$set": {"v": 1}}) for i in range(0, 1000, 4)]
    finished: dict[str, float] = {}

    def big_batch():
        client = pymongo.MongoClient(os.environ["MONGODB_URI"])
        try:
            client[mongo.name].big.bulk_write(ops, ordered=False)
        finally:
            finished["batch"] = time.monotonic()
            client.close()

    thread = threading.Thread(target=big_batch)
    try:
        thread.start()
        time.sleep(0.5)  # the batch is under way
        assert thread.is_alive(), "the batch ended too soon to show anything; make it larger"
        target.update_one({"_id": "s"}, {"$inc": {"n": 1}})
        finished["small"] = time.monotonic()
        thread.join(timeout=120)
        assert finished["small"] < finished["batch"], "the small write waited for the whole batch"
        assert target.find_one({"_id": "s"})["n"] == 1
        assert mongo.big.count_documents({"v": 1}) == 250
    finally:
        thread.join(timeout=120)
        mongo.client.drop_database(other_db.name)


def test_mongoengine_is_connected_to_the_test_database(mongo):
    class SmokeDoc(mongoengine.Document):
        key = mongoengine.StringField(required=True, unique=True)
        value = mongoengine.IntField()
        meta = {"collection": "smoke_mongoengine"}

    SmokeDoc(key="k", value=1).save()
    SmokeDoc.objects(key="k").update_one(inc__value=2, upsert=True)
    assert SmokeDoc.objects.get(key="k").value == 3
    assert mongo.smoke_mongoengine.find_one({"key": "k"})["value"] == 3


def test_redis_stores_and_reads_back_on_the_test_db(redis_client):
    assert redis_client.connection_pool.connection_kwargs["db"] == 15
    assert redis_client.dbsize() == 0
    redis_client.set("metasync:smoke", "hello", ex=60)
    assert redis_client.get("metasync:smoke") == b"hello"
    assert redis_client.incr("metasync:counter") == 1


def test_redis_is_flushed_between_tests(redis_client):
    assert redis_client.get("metasync:smoke") is None
