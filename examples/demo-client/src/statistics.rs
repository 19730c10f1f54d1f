//! Connectivity Statistics (7): Start (6) resets the counters and starts a collection, Stop (7)
//! ends it. While collecting, every read of Tx Data or Rx Data adds a simulated amount (the
//! traffic is the driver's, which the object does not see), and the demo reports both as
//! changed on each tick, so that an observer sees the counters grow (ETS int-901, int-910).

use lwm2m::{Error, ExecuteArgs, Handler, Object, ObjectStore, Path};

use crate::objects::ConnectivityStatistics;

/// The instance id of the statistics.
pub const STATISTICS_INSTANCE: u16 = 0;

/// Bytes added per read while collecting (sent, received).
const PER_TICK: (i64, i64) = (120, 480);

/// The statistics before any collection: zero counters, no collection period.
pub fn initial() -> ConnectivityStatistics {
    ConnectivityStatistics {
        tx_data: Some(0),
        rx_data: Some(0),
        ..ConnectivityStatistics::default()
    }
}

/// Start and Stop of a collection.
#[derive(Debug, Default, Clone)]
pub struct Collector {
    collecting: bool,
}

impl Handler<ConnectivityStatistics> for Collector {
    fn execute(
        &mut self,
        obj: &mut ConnectivityStatistics,
        resource: u16,
        _args: &ExecuteArgs,
    ) -> Result<(), Error> {
        match resource {
            ConnectivityStatistics::START => {
                obj.tx_data = Some(0);
                obj.rx_data = Some(0);
                obj.sms_tx_counter = Some(0);
                obj.sms_rx_counter = Some(0);
                self.collecting = true;
                Ok(())
            }
            ConnectivityStatistics::STOP => {
                self.collecting = false;
                Ok(())
            }
            resource => Err(Error::MethodNotAllowed { resource }),
        }
    }

    fn read(&mut self, obj: &mut ConnectivityStatistics, resource: u16) -> Result<(), Error> {
        if self.collecting
            && (resource == ConnectivityStatistics::TX_DATA
                || resource == ConnectivityStatistics::RX_DATA)
        {
            obj.tx_data = Some(obj.tx_data.unwrap_or(0) + PER_TICK.0);
            obj.rx_data = Some(obj.rx_data.unwrap_or(0) + PER_TICK.1);
        }
        Ok(())
    }
}

/// The counters, reported changed on each tick (they grow only while collecting).
pub fn changed(store: &ObjectStore) -> Vec<Path> {
    if store
        .instance(ConnectivityStatistics::ID, STATISTICS_INSTANCE)
        .is_none()
    {
        return Vec::new();
    }
    vec![
        ConnectivityStatistics::resource_path(STATISTICS_INSTANCE, ConnectivityStatistics::TX_DATA),
        ConnectivityStatistics::resource_path(STATISTICS_INSTANCE, ConnectivityStatistics::RX_DATA),
    ]
}
