//! Enums mirrored from the reference API: the result of a GStreamer data flow
//! and why a pipeline callback was invoked.

use gstreamer::FlowReturn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowResult {
    CustomSuccess2,
    CustomSuccess1,
    CustomSuccess,
    Ok,
    NotLinked,
    Flushing,
    Eos,
    NotNegotiated,
    Error,
    NotSupported,
    CustomError,
    CustomError1,
    CustomError2,
}

impl FlowResult {
    pub const ALL: [FlowResult; 13] = [
        FlowResult::CustomSuccess2,
        FlowResult::CustomSuccess1,
        FlowResult::CustomSuccess,
        FlowResult::Ok,
        FlowResult::NotLinked,
        FlowResult::Flushing,
        FlowResult::Eos,
        FlowResult::NotNegotiated,
        FlowResult::Error,
        FlowResult::NotSupported,
        FlowResult::CustomError,
        FlowResult::CustomError1,
        FlowResult::CustomError2,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FlowResult::CustomSuccess2 => "CustomSuccess2",
            FlowResult::CustomSuccess1 => "CustomSuccess1",
            FlowResult::CustomSuccess => "CustomSuccess",
            FlowResult::Ok => "Ok",
            FlowResult::NotLinked => "NotLinked",
            FlowResult::Flushing => "Flushing",
            FlowResult::Eos => "Eos",
            FlowResult::NotNegotiated => "NotNegotiated",
            FlowResult::Error => "Error",
            FlowResult::NotSupported => "NotSupported",
            FlowResult::CustomError => "CustomError",
            FlowResult::CustomError1 => "CustomError1",
            FlowResult::CustomError2 => "CustomError2",
        }
    }
}

impl From<FlowReturn> for FlowResult {
    fn from(value: FlowReturn) -> Self {
        match value {
            FlowReturn::CustomSuccess2 => FlowResult::CustomSuccess2,
            FlowReturn::CustomSuccess1 => FlowResult::CustomSuccess1,
            FlowReturn::CustomSuccess => FlowResult::CustomSuccess,
            FlowReturn::Ok => FlowResult::Ok,
            FlowReturn::NotLinked => FlowResult::NotLinked,
            FlowReturn::Flushing => FlowResult::Flushing,
            FlowReturn::Eos => FlowResult::Eos,
            FlowReturn::NotNegotiated => FlowResult::NotNegotiated,
            FlowReturn::Error => FlowResult::Error,
            FlowReturn::NotSupported => FlowResult::NotSupported,
            FlowReturn::CustomError => FlowResult::CustomError,
            FlowReturn::CustomError1 => FlowResult::CustomError1,
            FlowReturn::CustomError2 => FlowResult::CustomError2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvocationReason {
    Buffer,
    SinkEvent,
    SourceEvent,
    StateChange,
    IngressMessageTransformer,
}

impl InvocationReason {
    pub const ALL: [InvocationReason; 5] = [
        InvocationReason::Buffer,
        InvocationReason::SinkEvent,
        InvocationReason::SourceEvent,
        InvocationReason::StateChange,
        InvocationReason::IngressMessageTransformer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            InvocationReason::Buffer => "Buffer",
            InvocationReason::SinkEvent => "SinkEvent",
            InvocationReason::SourceEvent => "SourceEvent",
            InvocationReason::StateChange => "StateChange",
            InvocationReason::IngressMessageTransformer => "IngressMessageTransformer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gstreamer_flow_return_maps_to_its_namesake() {
        for (ret, name) in [
            (FlowReturn::Ok, "Ok"),
            (FlowReturn::Eos, "Eos"),
            (FlowReturn::NotNegotiated, "NotNegotiated"),
            (FlowReturn::CustomError2, "CustomError2"),
        ] {
            assert_eq!(FlowResult::from(ret).name(), name);
        }
    }
}
