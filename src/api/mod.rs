//! The Nxsys API client: typed, tolerant models, one shared rate limiter, retries, pagination.
