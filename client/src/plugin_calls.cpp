// The calls of the auth, logexplorer and scheduler plugins.
#include "backend/client.h"

namespace backend::client {

// --- auth

Result Backend::auth_getenable(const Params& setting) { return send("AUTH.GETENABLE", setting); }

Result Backend::auth_setenable(bool enable, const Params& setting) {
  return send("AUTH.SETENABLE", Params(setting).set("enable", enable));
}

Result Backend::auth_add(const std::string& username, const std::string& password, const std::string& privileges,
                         const Params& setting) {
  Params p(setting);
  p.set("username", username).set("password", password).set("privileges", privileges);
  return send("AUTH.ADD", std::move(p));
}

Result Backend::auth_delete(const std::string& username, const Params& setting) {
  return send("AUTH.DELETE", Params(setting).set("username", username));
}

Result Backend::auth_update(const std::string& username, const Params& setting) {
  return send("AUTH.UPDATE", Params(setting).set("username", username));
}

Result Backend::auth_get(const std::string& username, const Params& setting) {
  return send("AUTH.GET", Params(setting).set("username", username));
}

Result Backend::auth_getall(const Params& setting) { return send("AUTH.GETALL", setting); }

// --- logexplorer

Result Backend::logexplorer_listdir(const std::string& jobname, const Params& setting) {
  return with_job("LOGEXPLORER.LISTDIR", jobname, setting);
}

Result Backend::logexplorer_listfile(const std::string& jobname, const std::string& dirname, const Params& setting) {
  return with_job("LOGEXPLORER.LISTFILE", jobname, Params(setting).set("dirname", dirname));
}

Result Backend::logexplorer_get(const std::string& jobname, const std::string& dirname, const std::string& filename,
                                const Params& setting) {
  return with_job("LOGEXPLORER.GET", jobname, Params(setting).set("dirname", dirname).set("filename", filename));
}

Result Backend::logexplorer_serverlistdir(const Params& setting) { return send("LOGEXPLORER.SERVERLISTDIR", setting); }

Result Backend::logexplorer_serverlistfile(const std::string& dirname, const Params& setting) {
  return send("LOGEXPLORER.SERVERLISTFILE", Params(setting).set("dirname", dirname));
}

Result Backend::logexplorer_serverget(const std::string& dirname, const std::string& filename, const Params& setting) {
  return send("LOGEXPLORER.SERVERGET", Params(setting).set("dirname", dirname).set("filename", filename));
}

// --- scheduler

Result Backend::scheduler_add(const std::string& jobname, const Params& setting) {
  return with_job("SCHEDULER.ADD", jobname, setting);
}

Result Backend::scheduler_delete(const std::string& jobname, const std::string& uuid, const Params& setting) {
  return with_job("SCHEDULER.DELETE", jobname, Params(setting).set("uuid", uuid));
}

Result Backend::scheduler_update(const std::string& jobname, const std::string& uuid, const Params& setting) {
  return with_job("SCHEDULER.UPDATE", jobname, Params(setting).set("uuid", uuid));
}

Result Backend::scheduler_get(const std::string& jobname, const std::string& uuid, const Params& setting) {
  return with_job("SCHEDULER.GET", jobname, Params(setting).set("uuid", uuid));
}

Result Backend::scheduler_getall(const Params& setting) { return send("SCHEDULER.GETALL", setting); }

Result Backend::scheduler_getlog(const std::string& jobname, const std::string& uuid, const Params& setting) {
  return with_job("SCHEDULER.GETLOG", jobname, Params(setting).set("uuid", uuid));
}

}  // namespace backend::client
