//! `demo-client`: placeholder until the client runtime lands (issue 5).

mod objects {
    lwm2m::include_objects!();
}

fn main() {
    let temperature = objects::Temperature::default();
    println!("{}", temperature.sensor_value);
}
