"""The real servers behind the fixtures work: MongoDB-compatible server (FerretDB locally) and Redis."""

from __future__ import annotations

import datetime as dt
import os
import threading

import mongoengine
import pytest
import pymongo
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
    assert mongo.smoke.find_one({"_id": "a1"}, {"_id": 0, "spend": 1, "nested": 1}) == {"spend": 13.34, "nested": {"list": []}}


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


def test_mongoengine_is_connected_to_the_test_database(mongo):
    class SmokeDoc(mongoengine.Document):
        key = mongoengine.StringField(required=True, unique=True)
        value = mongoengine.IntField()
        meta = {"collection": "smoke_mongoengine"}

    SmokeDoc(key="k", value=1).save()
    SmokeDoc.objects(key="k").update_one(inc__value=2, upsert=True)
    assert SmokeDoc.objects.get(key="k").value == 3
    assert mongo.smoke_mongoengine.find_one({"key": "k"})["value"] == 3


def test_redis_set_get(redis_client):
    assert redis_client.connection_pool.connection_kwargs["db"] == 15
    assert redis_client.dbsize() == 0
    redis_client.set("metasync:smoke", "hello", ex=60)
    assert redis_client.get("metasync:smoke") == b"hello"
    assert redis_client.incr("metasync:counter") == 1


def test_redis_is_flushed_between_tests(redis_client):
    assert redis_client.get("metasync:smoke") is None
