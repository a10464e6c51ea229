-- wrk: POST /api/STATUS of one job, as any HTTP client of the API sends it.
wrk.method = "POST"
wrk.body = '{"jobname":"j0"}'
wrk.headers["Content-Type"] = "application/json"
