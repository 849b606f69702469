"""Random content of single objects: ad set targeting, ad creatives and the profile an ad's insights follow."""

from __future__ import annotations

import random

from .schema import CREATIVE, IMAGE, VIDEO
from .vocabulary import CITIES, COUNTRIES, CTAS, INTERESTS, REGIONS


def random_targeting(rng: random.Random) -> dict:
    geo: dict = {"countries": sorted(set(rng.sample(COUNTRIES, rng.randint(1, 3))))}
    if rng.random() < 0.3:
        geo["regions"] = [dict(r) for r in rng.sample(REGIONS, rng.randint(1, 2))]
    if rng.random() < 0.2:
        geo["cities"] = [dict(rng.choice(CITIES), radius=rng.choice((10, 25)), distance_unit="mile")]
    geo["location_types"] = ["home", "recent"]
    t: dict = {"geo_locations": geo, "age_min": rng.choice((18, 18, 21, 25)), "age_max": rng.choice((45, 55, 65, 65))}
    g = rng.random()
    if g < 0.2:
        t["genders"] = [1]
    elif g < 0.4:
        t["genders"] = [2]
    if rng.random() < 0.6:
        t["flexible_spec"] = [{"interests": [dict(i) for i in rng.sample(INTERESTS, rng.randint(1, 3))]}]
    if rng.random() < 0.7:
        t["publisher_platforms"] = rng.choice(
            (
                ["facebook", "instagram"],
                ["facebook"],
                ["instagram"],
                ["facebook", "instagram", "audience_network", "messenger"],
            )
        )
        if "facebook" in t["publisher_platforms"]:
            t["facebook_positions"] = ["feed", "story"]
        if "instagram" in t["publisher_platforms"]:
            t["instagram_positions"] = ["stream", "story", "reels"]
    t["targeting_automation"] = {"advantage_audience": 1 if rng.random() < 0.5 else 0}
    return t


def random_creative(rng: random.Random, account: dict, crid: str, aid: str, product: str, a: int, page_id: str) -> dict:
    """The creative of ad `aid` (its times are set by the caller): an image or a video, with its copy."""
    headline = f"{rng.choice(('New', 'Save 20% on', 'Discover', 'Limited:', 'Best'))} {product}"
    body = rng.choice(
        (
            "Free shipping on every order.",
            "Loved by 10,000+ customers.",
            "Sign up in 30 seconds.",
            "Offer ends Sunday!",
            "Made to last. Try it risk-free.",
        )
    )
    cta = rng.choice(CTAS)
    link = f"https://shop.example.com/{product.lower().replace(' ', '-')}?ref={a}"
    video = rng.random() < 0.25
    post_id = f"{page_id}_{200_000_000_000_000 + int(aid) % 10**12}"
    image_hash = f"{rng.getrandbits(128):032x}"
    creative = {
        "_kind": CREATIVE,
        "_account": account["id"],
        "id": crid,
        "account_id": account["account_id"],
        "name": f"{product} creative {a + 1} {'video' if video else 'image'}",
        "status": "ACTIVE",
        "actor_id": page_id,
        "object_type": "VIDEO" if video else "SHARE",
        "effective_object_story_id": post_id,
        "url_tags": "utm_source=facebook&utm_medium=paid",
        "thumbnail_url": f"https://scontent.example.com/t/{crid}_thumb.jpg",
    }
    if video:
        video_id = str(800_000_000_000_000 + int(crid) % 10**12)
        creative["video_id"] = video_id
        creative["object_story_spec"] = {
            "page_id": page_id,
            "video_data": {
                "video_id": video_id,
                "title": headline,
                "message": body,
                "image_url": f"https://scontent.example.com/v/{crid}.jpg",
                "call_to_action": {"type": cta, "value": {"link": link}},
            },
        }
    else:
        creative["image_hash"] = image_hash
        creative["image_url"] = f"https://scontent.example.com/i/{image_hash}.jpg"
        creative["link_url"] = link
        creative["object_story_spec"] = {
            "page_id": page_id,
            "link_data": {
                "name": headline,
                "message": body,
                "link": link,
                "description": "Shop the collection",
                "picture": creative["image_url"],
                "call_to_action": {"type": cta, "value": {"link": link}},
            },
        }
    if rng.random() < 0.3:  # legacy creatives also carry the top-level copies
        creative["title"] = headline
        creative["body"] = body
        creative["call_to_action_type"] = cta
    if rng.random() < 0.1:
        creative["asset_feed_spec"] = {
            "titles": [{"text": headline}, {"text": f"{product} sale"}],
            "bodies": [{"text": body}],
            "call_to_action_types": [cta],
            "link_urls": [{"website_url": link}],
        }
        media = {"videos": [{"video_id": creative["video_id"]}]} if video else {"images": [{"hash": image_hash}]}
        creative["asset_feed_spec"].update(media)
    if rng.random() < 0.4:
        creative["instagram_permalink_url"] = f"https://www.instagram.com/p/{image_hash[:11]}/"
    return creative


def media_image(account: dict, creative: dict, created: int, updated: int) -> dict:
    """The ad image a creative shows (AdImage: id `<account digits>:<hash>`, paged in upload order)."""
    image_hash = creative["image_hash"]
    portrait = int(image_hash[:2], 16) % 2 == 1
    return {
        "_kind": IMAGE,
        "_account": account["id"],
        "_key": int(creative["id"]),
        "_created_ts": created,
        "_updated_ts": updated,
        "id": f"{account['account_id']}:{image_hash}",
        "account_id": account["account_id"],
        "hash": image_hash,
        "name": f"{creative['name']}.jpg",
        "url": creative["image_url"],
        "url_128": f"https://scontent.example.com/i/{image_hash}_128.jpg",
        "permalink_url": f"https://www.facebook.com/ads/image/?d={image_hash}",
        "width": 1080,
        "height": 1350 if portrait else 1080,
        "original_width": 2160,
        "original_height": 2700 if portrait else 2160,
        "status": "ACTIVE",
        "created_time": creative["created_time"],
        "updated_time": creative["updated_time"],
    }


def media_video(account: dict, creative: dict, created: int, updated: int) -> dict:
    """The ad video a creative plays (AdVideo), 6 to 59 seconds long."""
    video_id = creative["video_id"]
    video_data = creative["object_story_spec"]["video_data"]
    return {
        "_kind": VIDEO,
        "_account": account["id"],
        "_created_ts": created,
        "_updated_ts": updated,
        "id": video_id,
        "title": video_data["title"],
        "length": float(6 + int(video_id) % 54) + 0.5,
        "picture": video_data["image_url"],
        "permalink_url": f"/{account['account_id']}/videos/{video_id}/",
        "status": {"video_status": "ready", "processing_progress": 100},
        "created_time": creative["created_time"],
        "updated_time": creative["updated_time"],
    }


def insights_profile(rng: random.Random, camp: dict, video: bool, start: int, stop: int) -> tuple:
    """Per-ad constants for the insights generator (see insights_metrics.DailyMetrics.ad_day)."""
    conv = camp["_conv"]
    base_impr = int(10 ** rng.uniform(2.3, 4.3))  # ~200 .. 20,000 impressions a day
    ctr_ppm = rng.randint(4_000, 30_000)  # 0.4% .. 3% click-through
    cpm_cents = rng.randint(300, 2_500)  # $3 .. $25 per 1000 impressions
    cvr_ppm = rng.randint(8_000, 90_000) if conv != "none" else 0
    aov_cents = rng.choice((1999, 2999, 4999, 8900, 12900, 19900))
    web_pct = rng.choice((100, 100, 90, 80, 70)) if conv == "purchase" else 0
    shop_pct = 100 - web_pct
    app = camp["objective"] in ("OUTCOME_APP_PROMOTION", "APP_INSTALLS")
    form_pct = rng.choice((100, 80, 60, 0)) if conv == "lead" else 0
    channel_only_pct = rng.choice((0, 0, 5, 15))  # share of rows without omni/aggregate action types
    return (
        start,
        stop,
        base_impr,
        ctr_ppm,
        cpm_cents,
        conv,
        cvr_ppm,
        aov_cents,
        web_pct,
        shop_pct,
        app,
        form_pct,
        video,
        channel_only_pct,
    )
