//! The Event Log (object 20) of the demo: LogStart (`/20/x/4011`) and LogStop (`4012`) move
//! LogStatus (`4013`) as the object's description says; the demo logs no events, so LogData
//! stays empty (ETS int-2000, int-2001).

use lwm2m::{Error, ExecuteArgs, Handler};

use crate::objects::EventLog;

/// LogStatus bit 0: 0 running, 1 stopped.
const STOPPED: i64 = 1;

/// The Event Log's behaviour.
#[derive(Debug, Default, Clone, Copy)]
pub struct Logger;

impl Handler<EventLog> for Logger {
    fn execute(
        &mut self,
        log: &mut EventLog,
        resource: u16,
        _args: &ExecuteArgs,
    ) -> Result<(), Error> {
        match resource {
            // Start: running, the collection emptied (the default of its argument 0).
            EventLog::LOG_START => {
                log.log_status = Some(log.log_status.unwrap_or(0) & !STOPPED);
                log.log_data.clear();
                Ok(())
            }
            // Stop: stopped, the collection kept.
            EventLog::LOG_STOP => {
                log.log_status = Some(log.log_status.unwrap_or(0) | STOPPED);
                Ok(())
            }
            _ => Err(Error::MethodNotAllowed { resource }),
        }
    }
}
