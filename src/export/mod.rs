//! Export: payslips fetched page by page under the shared limiter, written to xlsx or CSV.
