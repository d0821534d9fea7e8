package org.apexbench.harness;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs a test method {@code (String id, EngineOptions options)} once per engine of
 * {@link RealEngineCheck#ENGINES}, each case named by id and options, so every real-engine test covers the same
 * matrix as the dist's check.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0} {1}")
@MethodSource("org.apexbench.harness.RealEngineRuns#engines")
@interface ForEveryRealEngine {}
