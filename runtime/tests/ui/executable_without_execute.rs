use lwm2m::{Executable, Object};

#[derive(Object)]
#[lwm2m(id = 3)]
struct Device {
    #[lwm2m(id = 4, name = "Reboot", op = "RW")]
    reboot: Executable,
}

fn main() {}
