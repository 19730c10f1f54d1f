use lwm2m::Object;

#[derive(Object)]
#[lwm2m(id = 3)]
struct Device {
    no_attribute: u32,
    #[lwm2m(skip, id = 2)]
    skipped_with_id: u32,
    #[lwm2m(id = 3, op = "E", kind = "Integer")]
    execute_with_kind: lwm2m::Executable,
    #[lwm2m(id = 4, op = "R", kind = "Int")]
    unknown_kind: i64,
    #[lwm2m(id = 5, op = "R", mandatory = true)]
    flag_with_value: i64,
    #[lwm2m(id = 6, op = R)]
    unquoted: i64,
}

fn main() {}
