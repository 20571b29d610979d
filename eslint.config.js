// ESLint flat config: the recommended JS rules plus typescript-eslint's recommended rules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {ignores: ["dist/**", "node_modules/**", "models/**", ".cache/**"]},
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", {argsIgnorePattern: "^_", varsIgnorePattern: "^_"}],
            "no-constant-condition": ["error", {checkLoops: false}]
        }
    },
    {
        files: ["bin/**/*.js", "eslint.config.js", ".ci/**/*.js", "scripts/**/*.mjs"],
        languageOptions: {globals: {process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", setInterval: "readonly", clearInterval: "readonly"}}
    },
    {
        // The sampling core is engine-free: it must never import node-llama-cpp.
        files: ["src/sampling/**/*.ts"],
        rules: {"no-restricted-imports": ["error", {paths: ["node-llama-cpp"], patterns: ["node-llama-cpp/*", "../engine/*", "../cli/*", "../generate/*"]}]}
    }
);
