// pm2_ctl.js PM2_MODULE start NAME PROGRAM [ARGS...] | kill
//
// Starts a job in the PM2 daemon of PM2_HOME (the daemon is started on
// connect when none runs), or kills that daemon with everything it runs.
'use strict';
const [pm2Module, action, name, program, ...args] = process.argv.slice(2);
const pm2 = require(pm2Module);

pm2.connect(false, (err) => {
  if (err) { console.error(`pm2_ctl: ${err.message}`); process.exit(1); }
  const done = (e) => {
    if (e) { console.error(`pm2_ctl ${action}: ${e.message || e}`); process.exitCode = 1; }
    pm2.disconnect();
  };
  if (action === 'start') {
    pm2.start({ script: program, args, name, interpreter: 'none', autorestart: true }, done);
  } else if (action === 'kill') {
    pm2.killDaemon(done);
  } else {
    done(new Error(`unknown action ${action}`));
  }
});
