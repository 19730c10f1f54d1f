use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3)]
struct Device {
    #[lwm2m(id = 0, op = "R")]
    names: Vec<String>,
}

fn main() {}
