use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3)]
struct Device {
    #[lwm2m(id = 4, name = "Reboot", op = "E")]
    reboot: bool,
}

fn main() {}
