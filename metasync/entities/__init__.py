"""Campaigns, ad sets and ads: the spec table, mapping, full and incremental sync, targeted refresh."""
