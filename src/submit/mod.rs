//! Submit stage: run the plan concurrently under the shared limiter, exactly once, journaling
//! intent before each write and the outcome after.
