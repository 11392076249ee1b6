"""Wrapped: the year's recap per listener, from the Sort-Merge-Bucket archive (job, statistics, story)."""
