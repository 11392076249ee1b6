"""Recommendations: candidates (ALS factors, item co-occurrence, ANN neighbours), the ranker that blends
them, versioned model files, and offline evaluation. See docs/recommendations.md."""
