// The human views of replies: what each command prints when --json is not
// given. Pure functions of the reply data; BadReply when it has not the
// expected shape.
#pragma once

#include <rapidjson/document.h>

#include <string>

namespace backendctl {

// `ls`: a header, then one row per job sorted by name:
// NAME STATE PID UPTIME MEMORY RESTARTS EXIT, '-' for what is unknown.
// `data` is STATUSALL's detail object; a bare "UP"/"DOWN" per job (a
// server without the detail extension) is shown with '-' elsewhere.
std::string format_job_list(const rapidjson::Value& data, bool color);
// `ls --names`: the names, sorted, one per line.
std::string format_job_names(const rapidjson::Value& data);
// `status NAME`: the state word alone on the first line, then
// "  label:     value" lines for pid, uptime, memory, restarts, last exit.
std::string format_job_status(const rapidjson::Value& detail, bool color);
// What the EXIT column shows of a "last_exit" value: "3", "SIGKILL", "-".
std::string exit_text(const rapidjson::Value& last_exit);
// `memall`: NAME MEMORY, sorted by name.
std::string format_mem_list(const rapidjson::Value& data);
// `schedule ls`: JOB UUID ENABLED CONDITION from SCHEDULER.GETALL, sorted,
// only the job `only_job` when it is not empty.
std::string format_schedule_list(const rapidjson::Value& data, const std::string& only_job);
// An array of strings, one per line (log folders and files).
std::string format_string_list(const rapidjson::Value& data);
// An array of Unix times, one local time per line (schedule runs).
std::string format_time_list(const rapidjson::Value& data);
// A text that ends with a newline unless empty (READ's buffer).
std::string as_lines(const std::string& text);

}  // namespace backendctl
