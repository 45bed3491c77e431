"""The generation pipeline of the requests context: durable jobs that turn an approved
request (or a new attempt) into a generated, validated TA."""
