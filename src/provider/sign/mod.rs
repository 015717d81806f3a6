//! Request signature algorithms, each once, byte-identical to the official SDKs'.

pub mod aliyun;
pub mod nowcn;
pub mod tc3;
